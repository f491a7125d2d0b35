/**
 * Deterministic JSON: object keys sorted, `undefined` properties dropped (as JSON.stringify does),
 * so the same value always gives the same text — the basis of content versions and history hashes.
 * Functions become a marker with their name; composite guards (`and`/`or`/`not`) keep their parts.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown, viaToJson = false): unknown {
  if (value === null) return null;
  if (typeof value === 'function') {
    const parts = (value as { guards?: unknown[] }).guards;
    return Array.isArray(parts)
      ? { [`#${value.name}`]: parts.map((part) => normalise(part)) }
      : `#function:${value.name}`;
  }
  if (typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return null;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  // toJSON may return an object carrying the same toJSON (XState's transitions do): call it once.
  if (!viaToJson && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return normalise((value as { toJSON(): unknown }).toJSON(), true);
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v === 'function' && key === 'toJSON') continue;
    result[key] = normalise(v);
  }
  return result;
}
