import { InvalidRequest } from '../common/errors';

/** `If-Match: "7"` (or W/"7", or 7) → 7; `*` or absent → no expectation. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
  if (!match) {
    throw new InvalidRequest([
      {
        field: 'If-Match',
        message: 'må være en versjon fra ETag, f.eks. "7"',
        messageEn: 'must be a version from the ETag, e.g. "7"',
      },
    ]);
  }
  return Number(match[1]);
}

/** Idempotency-Key: 1–255 visible ASCII characters. */
export function idempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new InvalidRequest([
      {
        field: 'Idempotency-Key',
        message: 'må være 1–255 synlige ASCII-tegn',
        messageEn: 'must be 1–255 visible ASCII characters',
      },
    ]);
  }
  return value;
}

export function etag(version: number): string {
  return `"${version}"`;
}
