/**
 * Conditions on document metadata (payload keys `meta.<key>`, and the numeric twins `metaNum.<key>` for ranges): equals, in, range, exists. They go to
 * the index as `PayloadCondition`s, applied before ranking, and each hit is checked against them
 * again before it leaves (chunk-search.ts), like the tenant and ACL scope.
 */
import {
  chunkMetadataKey,
  chunkMetadataNumberKey,
  metadataNumberOf,
  type PayloadCondition,
  type PayloadRange,
  type PayloadValue,
} from '@keel/vector-store';

export type NumberRange = PayloadRange;

export type MetadataCondition =
  | { key: string; equals: string }
  | { key: string; anyOf: string[] }
  | { key: string; range: NumberRange }
  | { key: string; exists: boolean };

/** Metadata keys as ingestion accepts them (they are payload keys `meta.<key>`). */
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_METADATA_VALUE_LENGTH = 1024;
export const MAX_ANY_OF_VALUES = 64;

export interface ConditionViolation {
  /** Relative to the condition: '' for the condition itself, or a sub-field such as `range`. */
  field: string;
  message: string;
}

/** What is wrong with one condition, or nothing; the key is checked by the caller. */
export function conditionViolations(condition: MetadataCondition): ConditionViolation[] {
  if ('equals' in condition) {
    return condition.equals.length > MAX_METADATA_VALUE_LENGTH
      ? [{ field: 'equals', message: `must be at most ${MAX_METADATA_VALUE_LENGTH} characters` }]
      : [];
  }
  if ('anyOf' in condition) {
    const { anyOf } = condition;
    if (anyOf.length === 0 || anyOf.length > MAX_ANY_OF_VALUES) {
      return [{ field: 'any_of', message: `must have 1 to ${MAX_ANY_OF_VALUES} values` }];
    }
    const tooLong = anyOf.findIndex((value) => value.length > MAX_METADATA_VALUE_LENGTH);
    return tooLong >= 0
      ? [{ field: `any_of[${tooLong}]`, message: `must be at most ${MAX_METADATA_VALUE_LENGTH} characters` }]
      : [];
  }
  if ('range' in condition) return rangeViolations(condition.range);
  return [];
}

function rangeViolations(range: NumberRange): ConditionViolation[] {
  const bounds = (['gt', 'gte', 'lt', 'lte'] as const).filter((bound) => range[bound] !== undefined);
  if (bounds.length === 0) return [{ field: 'range', message: 'needs at least one of gt, gte, lt, lte' }];
  const violations: ConditionViolation[] = [];
  for (const bound of bounds) {
    if (!Number.isFinite(range[bound]))
      violations.push({ field: `range.${bound}`, message: 'must be a finite number' });
  }
  if (range.gt !== undefined && range.gte !== undefined) {
    violations.push({ field: 'range', message: 'takes gt or gte, not both' });
  }
  if (range.lt !== undefined && range.lte !== undefined) {
    violations.push({ field: 'range', message: 'takes lt or lte, not both' });
  }
  return violations;
}

/** The index condition of a validated metadata condition. */
export function toPayloadCondition(condition: MetadataCondition): PayloadCondition {
  const key = chunkMetadataKey(condition.key);
  if ('equals' in condition) return { key, equals: condition.equals };
  if ('anyOf' in condition) return { key, anyOf: [...condition.anyOf] };
  // Ranges compare the numeric twin ingestion writes beside each value that reads as a number.
  if ('range' in condition) return { key: chunkMetadataNumberKey(condition.key), range: { ...condition.range } };
  return { key, exists: condition.exists };
}

/**
 * Whether a chunk's payload satisfies the condition, as the index should have decided. A range
 * also accepts a metadata value held as a decimal string ("2024"), since ingestion stores
 * metadata as strings: this re-check must never be stricter than an index that compares them.
 */
export function satisfies(payload: Record<string, PayloadValue>, condition: MetadataCondition): boolean {
  const value = payload[chunkMetadataKey(condition.key)];
  // As the port defines it: an empty list holds no value.
  const present = value !== undefined && !(Array.isArray(value) && value.length === 0);
  if ('exists' in condition) return present === condition.exists;
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  if ('equals' in condition) return values.some((item) => item === condition.equals);
  if ('anyOf' in condition) return values.some((item) => typeof item === 'string' && condition.anyOf.includes(item));
  return values.some((item) => inRange(numberOf(item), condition.range));
}

function numberOf(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? metadataNumberOf(value) : undefined;
}

function inRange(value: number | undefined, range: NumberRange): boolean {
  if (value === undefined || !Number.isFinite(value)) return false;
  if (range.gt !== undefined && !(value > range.gt)) return false;
  if (range.gte !== undefined && !(value >= range.gte)) return false;
  if (range.lt !== undefined && !(value < range.lt)) return false;
  if (range.lte !== undefined && !(value <= range.lte)) return false;
  return true;
}
