import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  registerDecorator,
  validateSync,
  type ValidationError,
  type ValidationOptions,
} from 'class-validator';
import { isDay } from './calendar';

/** One field's problem: the dotted path (`alternatives.0.title`) and what is wrong, in Norwegian. */
export interface FieldProblem {
  field: string;
  message: string;
  messageEn: string;
}

export type PayloadClass = new () => object;

/**
 * Validates a plain payload against a class-validator class: unknown fields, wrong types and
 * missing fields are each named. Returns the transformed instance when valid.
 */
export function validatePayload(
  cls: PayloadClass,
  payload: unknown,
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldProblem[] } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return {
      ok: false,
      errors: [
        { field: '', message: 'må være et JSON-objekt', messageEn: 'must be a JSON object' },
      ],
    };
  }
  const known = knownFields(cls);
  if (known.size === 0) {
    // A payload with no fields: class-validator would call any object "unknown", so name the keys.
    const extra = Object.keys(payload);
    if (extra.length === 0) return { ok: true, value: {} };
    return {
      ok: false,
      errors: extra.map((field) => ({
        field,
        message: NORWEGIAN.whitelistValidation!,
        messageEn: `property ${field} should not exist`,
      })),
    };
  }
  const instance = plainToInstance(cls, payload, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) return { ok: false, errors: fieldProblems(errors) };
  return { ok: true, value: instance as Record<string, unknown> };
}

const fieldsByClass = new WeakMap<PayloadClass, Set<string>>();

/** The fields a payload class declares; its decorators ran when it was defined, so this is fixed. */
function knownFields(cls: PayloadClass): Set<string> {
  let known = fieldsByClass.get(cls);
  if (!known) {
    known = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(cls, '', true, false)
        .map((m) => m.propertyName),
    );
    fieldsByClass.set(cls, known);
  }
  return known;
}

/** Flattens class-validator's tree of errors into one problem per failed constraint. */
export function fieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const [constraint, english] of Object.entries(error.constraints ?? {})) {
      problems.push({ field, message: norwegian(constraint, english), messageEn: english });
    }
    if (error.children?.length) problems.push(...fieldProblems(error.children, field));
  }
  return problems;
}

const NORWEGIAN: Record<string, string> = {
  whitelistValidation: 'er ikke et kjent felt',
  isString: 'må være tekst',
  isNotEmpty: 'må fylles ut',
  isDefined: 'mangler',
  isEmail: 'må være en gyldig e-postadresse',
  isInt: 'må være et heltall',
  isNumber: 'må være et tall',
  isBoolean: 'må være true eller false',
  isArray: 'må være en liste',
  isObject: 'må være et objekt',
  isIn: 'har en ugyldig verdi',
  isUUID: 'må være en UUID',
  arrayMaxSize: 'har for mange elementer',
  arrayMinSize: 'har for få elementer',
  nestedValidation: 'må være et objekt med riktige felter',
  unknownValue: 'har ukjent innhold',
  isDay: 'må være en gyldig dato på formen ÅÅÅÅ-MM-DD',
  isSingleLine: 'kan ikke inneholde linjeskift eller kontrolltegn',
  isPlainText: 'kan ikke inneholde kontrolltegn',
  isOrganisasjonsnummer: 'må være et gyldig organisasjonsnummer (ni siffer, modulus 11)',
  matches: 'har feil format',
};

function norwegian(constraint: string, english: string): string {
  const bounds =
    /(?:must not be (?:greater|less) than|shorter than or equal to|longer than or equal to|more than|at least|at most)\s+(-?\d+(?:\.\d+)?)/.exec(
      english,
    );
  switch (constraint) {
    case 'min':
      return `kan ikke være mindre enn ${bounds?.[1] ?? ''}`.trim();
    case 'max':
      return `kan ikke være større enn ${bounds?.[1] ?? ''}`.trim();
    case 'maxLength':
      return `er for lang (høyst ${bounds?.[1] ?? ''} tegn)`;
    case 'minLength':
      return `er for kort (minst ${bounds?.[1] ?? ''} tegn)`;
    default:
      return NORWEGIAN[constraint] ?? english;
  }
}

function custom(name: string, test: (value: unknown) => boolean, english: string) {
  return (options?: ValidationOptions) =>
    (target: object, propertyName: string): void => {
      registerDecorator({
        name,
        target: target.constructor,
        propertyName,
        options: { message: `$property ${english}`, ...options },
        validator: { validate: test },
      });
    };
}

/** A calendar date `YYYY-MM-DD` that exists. */
export const IsDay = custom('isDay', isDay, 'must be a real calendar date YYYY-MM-DD');

// Control characters in one-line fields would end up in e-mail headers and logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** One line of text: no line breaks or other control characters. */
export const IsSingleLine = custom(
  'isSingleLine',
  (v) => typeof v === 'string' && !CONTROL.test(v),
  'must be one line without control characters',
);

/** Free text: line breaks allowed, other control characters not. */
export const IsPlainText = custom(
  'isPlainText',
  (v) => typeof v === 'string' && !CONTROL_EXCEPT_NEWLINES.test(v),
  'must not contain control characters',
);
