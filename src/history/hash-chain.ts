import { hash } from 'node:crypto';
import { canonicalJson } from '../../workflows/kit';
import type { HistoryEntry } from './history-entry.entity';

/** The hash before the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

type Hashed = Omit<HistoryEntry, 'id' | 'hash'>;

/** What the hash covers: every field of the entry except its own hash and row id. */
export function canonicalEntry(entry: Hashed): string {
  return canonicalJson({
    instanceId: entry.instanceId,
    seq: entry.seq,
    kind: entry.kind,
    at: entry.at,
    actor: { id: entry.actorId, role: entry.actorRole },
    event: { type: entry.eventType, payload: entry.payload },
    from: entry.fromState,
    to: entry.toState,
    definitionVersion: entry.definitionVersion,
    snapshot: entry.snapshot,
  });
}

/** hash = sha256(canonical(entry) ‖ previous hash). */
export function entryHash(entry: Hashed): string {
  // One-shot: the same digest as hashing the two parts in turn, without a Hash stream object.
  return hash('sha256', canonicalEntry(entry) + entry.prevHash, 'hex');
}

export type BreakReason = 'altered' | 'missing' | 'reordered' | 'truncated';

export interface Verification {
  valid: boolean;
  entries: number;
  brokenAt?: { seq: number; reason: BreakReason; message: string };
}

/**
 * Walks a chain in stored order and reports the first entry that does not hold: one whose content
 * no longer matches its hash (altered), a gap in the sequence (missing), an entry that does not
 * follow its predecessor (reordered), or a chain shorter than the instance's head (truncated).
 */
export function verifyChain(
  entries: readonly HistoryEntry[],
  head: { lastSeq: number; headHash: string },
): Verification {
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      const reason: BreakReason = entry.seq > expectedSeq ? 'missing' : 'reordered';
      return broken(
        entries.length,
        expectedSeq,
        reason,
        reason === 'missing'
          ? `Oppføring ${expectedSeq} mangler i historikken`
          : `Oppføring ${entry.seq} står på plass ${expectedSeq}`,
      );
    }
    if (entryHash(entry) !== entry.hash) {
      return broken(
        entries.length,
        entry.seq,
        'altered',
        `Oppføring ${entry.seq} er endret etter at den ble skrevet`,
      );
    }
    if (entry.prevHash !== previousHash) {
      return broken(
        entries.length,
        entry.seq,
        'reordered',
        `Oppføring ${entry.seq} følger ikke etter oppføring ${entry.seq - 1}`,
      );
    }
    previousHash = entry.hash;
    expectedSeq += 1;
  }
  const last = expectedSeq - 1;
  if (last === head.lastSeq && previousHash !== head.headHash) {
    return broken(
      entries.length,
      last,
      'altered',
      `Oppføring ${last} stemmer ikke med arbeidsflytens siste kjente hash`,
    );
  }
  if (last !== head.lastSeq) {
    return broken(
      entries.length,
      expectedSeq,
      'truncated',
      `Historikken slutter ved oppføring ${expectedSeq - 1}, men arbeidsflyten er på oppføring ${head.lastSeq}`,
    );
  }
  return { valid: true, entries: entries.length };
}

function broken(entries: number, seq: number, reason: BreakReason, message: string): Verification {
  return { valid: false, entries, brokenAt: { seq, reason, message } };
}
