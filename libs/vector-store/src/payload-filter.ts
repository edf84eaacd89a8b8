import type { PayloadCondition, PayloadValue, VectorFilter } from './vector-index.js';

/**
 * The meaning of a payload condition, in one place: the embedded adapter evaluates filters with
 * it, and the contract suite holds Qdrant to the same answers. See `PayloadCondition`.
 */
export function conditionMatches(value: PayloadValue | undefined, condition: PayloadCondition): boolean {
  if (condition.exists !== undefined) return hasValue(value) === condition.exists;
  if (value === undefined) return false;
  if (condition.equals !== undefined) {
    return Array.isArray(value)
      ? typeof condition.equals === 'string' && value.includes(condition.equals)
      : value === condition.equals;
  }
  if (condition.anyOf !== undefined) {
    const wanted = condition.anyOf;
    return Array.isArray(value)
      ? value.some((item) => wanted.includes(item))
      : typeof value === 'string' && wanted.includes(value);
  }
  if (condition.range !== undefined) return typeof value === 'number' && inRange(value, condition.range);
  return false;
}

export function filterMatches(payload: Readonly<Record<string, PayloadValue>>, filter: VectorFilter): boolean {
  return filter.must.every((condition) =>
    conditionMatches(Object.hasOwn(payload, condition.key) ? payload[condition.key] : undefined, condition),
  );
}

/** Qdrant's `is_empty` view: a missing key and an empty array both hold no value. */
function hasValue(value: PayloadValue | undefined): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function inRange(value: number, range: NonNullable<PayloadCondition['range']>): boolean {
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}
