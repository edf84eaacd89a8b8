import type { PayloadCondition, PayloadRange, VectorFilter } from '../vector-index.js';

/** The Qdrant filter conditions a Keel filter becomes (the subset of Qdrant's schema used here). */
export type QdrantCondition =
  | { key: string; match: { value: string | number | boolean } }
  | { key: string; match: { any: string[] } }
  | { key: string; range: PayloadRange }
  | { is_empty: { key: string } };

export interface QdrantFilter {
  must?: QdrantCondition[];
  must_not?: QdrantCondition[];
}

/**
 * Keel payload filters as Qdrant conditions:
 * - `equals` a string, boolean or integer → `match: { value }` (on an array field it matches
 *   when any element does, as Keel's `equals` requires);
 * - `equals` a non-integer number → `range: { gte: v, lte: v }`: Qdrant matches only
 *   keywords, integers and booleans exactly;
 * - `anyOf` → `match: { any }`;
 * - `range` → `range` with the same bounds (Qdrant's range never matches strings or booleans);
 * - `exists: false` → `is_empty` (missing, null or `[]`), `exists: true` → `is_empty` under
 *   `must_not`: Keel's "an empty array holds no value" is Qdrant's definition.
 */
export function qdrantFilter(filter: VectorFilter): QdrantFilter | undefined {
  if (filter.must.length === 0) return undefined;
  const must: QdrantCondition[] = [];
  const mustNot: QdrantCondition[] = [];
  for (const condition of filter.must) {
    if (condition.exists === true) mustNot.push(isEmpty(condition.key));
    else must.push(qdrantCondition(condition));
  }
  return { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { must_not: mustNot } : {}) };
}

function qdrantCondition(condition: PayloadCondition): QdrantCondition {
  const key = payloadPath(condition.key);
  if (condition.exists === false) return isEmpty(condition.key);
  if (condition.anyOf !== undefined) return { key, match: { any: condition.anyOf } };
  if (condition.range !== undefined) return { key, range: onlyBounds(condition.range) };
  const value = condition.equals as string | number | boolean;
  if (typeof value === 'number' && !Number.isInteger(value)) return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

function isEmpty(key: string): QdrantCondition {
  return { is_empty: { key: payloadPath(key) } };
}

/** Only the bounds given: Qdrant reads an explicit null as "no bound", undefined keys may not survive JSON as intended. */
function onlyBounds(range: PayloadRange): PayloadRange {
  return Object.fromEntries(Object.entries(range).filter(([, bound]) => bound !== undefined)) as PayloadRange;
}

/**
 * Qdrant reads a condition key as a JSON path (`a.b` is field b inside object a). Keel
 * payloads are flat, with keys such as `meta.source`, so any key that is not a bare
 * identifier (letters, digits, `_`, `-`) is quoted as one segment: `"meta.source"`.
 * Validation has already refused keys holding `"` or `\`, which Qdrant cannot quote.
 */
export function payloadPath(key: string): string {
  return /^[\p{L}\p{N}_-]+$/u.test(key) ? key : `"${key}"`;
}
