import type { Text } from './text';

/**
 * A named guard that can say why it blocks. The XState guard is derived from `check`, so the
 * explanation and the machine's decision can never disagree.
 */
export interface GuardSpec<TContext, TEvent, TParams = undefined> {
  /** Short label for graphs: what must hold. */
  label: Text;
  /** Where the rule comes from (a sentence of the source text or the spec). */
  source: string;
  /**
   * True when the guard judges the event's payload. Such guards cannot be judged before a payload
   * exists, so "what may happen next" treats them as open and the send itself reports them.
   */
  inspectsPayload: boolean;
  /** Every reason the guard blocks; empty when it passes. */
  check(context: TContext, event: TEvent, params: TParams): Text[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs differ in their params
export type AnyGuardSpec = GuardSpec<any, any, any>;

type GuardPredicate<TSpec> =
  TSpec extends GuardSpec<infer C, infer E, infer P>
    ? (args: { context: C; event: E }, params: P) => boolean
    : never;

/** The `guards` for XState's `setup()`, one predicate per spec. */
export function toGuardPredicates<TSpecs extends Record<string, AnyGuardSpec>>(
  specs: TSpecs,
): { [K in keyof TSpecs]: GuardPredicate<TSpecs[K]> } {
  const predicates: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    predicates[name] = (args: { context: unknown; event: unknown }, params: unknown) =>
      spec.check(args.context, args.event, params).length === 0;
  }
  return predicates as { [K in keyof TSpecs]: GuardPredicate<TSpecs[K]> };
}
