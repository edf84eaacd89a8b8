import type { HybridFusion, IndexedChunk, PayloadCondition, VectorFilter, VectorQuery } from './vector-index.js';
import { invalidRequest, VectorStoreError, VectorStoreErrorCode } from './vector-store-error.js';

/** The most hits one search returns; larger pages belong to a scroll, not a search. */
export const maxSearchLimit = 1000;

const collectionNamePattern = /^[A-Za-z0-9_-]{1,128}$/;
/** Payload keys the adapters keep for themselves (Qdrant stores the original id and text there). */
export const reservedPayloadPrefix = '_keel';

/** Names both engines accept as-is (Qdrant collections, Lance tables). */
export function validateCollectionName(name: string): void {
  if (!collectionNamePattern.test(name)) {
    throw invalidRequest(`collection name "${name}" must be 1-128 letters, digits, "_" or "-"`);
  }
}

export function validateDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
    throw invalidRequest(`dimensions must be an integer in [1, 65536], got ${dimensions}`);
  }
}

export function validateVector(vector: readonly number[], dimensions: number, what: string): void {
  if (vector.length !== dimensions) {
    throw new VectorStoreError(
      VectorStoreErrorCode.DimensionMismatch,
      `${what} has ${vector.length} dimensions; the collection has ${dimensions}`,
    );
  }
  if (!vector.every(Number.isFinite)) throw invalidRequest(`${what} holds a value that is not a finite number`);
}

/** Checks a batch before any write, so a bad chunk never leaves half a batch behind. */
export function validateChunks(chunks: readonly IndexedChunk[], dimensions: number): void {
  for (const chunk of chunks) {
    if (typeof chunk.id !== 'string' || chunk.id === '')
      throw invalidRequest('every chunk needs a non-empty string id');
    validateVector(chunk.vector, dimensions, `the vector of chunk "${chunk.id}"`);
    if (typeof chunk.text !== 'string') throw invalidRequest(`chunk "${chunk.id}" has no text`);
    for (const [key, value] of Object.entries(chunk.payload ?? {})) {
      validateKey(key);
      if (key.startsWith(reservedPayloadPrefix)) {
        throw invalidRequest(`payload key "${key}" is reserved (prefix "${reservedPayloadPrefix}")`);
      }
      const valid =
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value)) ||
        (Array.isArray(value) && value.every((item) => typeof item === 'string'));
      if (!valid)
        throw invalidRequest(
          `payload "${key}" of chunk "${chunk.id}" must be a string, finite number, boolean or string[]`,
        );
    }
  }
}

/** The last occurrence of an id wins, as if the batch were upserted one chunk at a time. */
export function lastWriteWins(chunks: readonly IndexedChunk[]): IndexedChunk[] {
  return [...new Map(chunks.map((chunk) => [chunk.id, chunk])).values()];
}

export function validateFilter(filter: VectorFilter): void {
  if (!filter || !Array.isArray(filter.must)) throw invalidRequest('a filter needs a `must` list (empty for none)');
  for (const condition of filter.must) validateCondition(condition);
}

const rangeBounds = ['gt', 'gte', 'lt', 'lte'] as const;

function validateCondition(condition: PayloadCondition): void {
  if (typeof condition !== 'object' || condition === null) throw invalidRequest('a filter condition must be an object');
  validateKey(condition.key);
  const kinds = (['equals', 'anyOf', 'range', 'exists'] as const).filter((kind) => condition[kind] !== undefined);
  if (kinds.length !== 1) {
    throw invalidRequest(`condition on "${condition.key}" needs exactly one of equals, anyOf, range or exists`);
  }
  const { equals, anyOf, range, exists } = condition;
  if (
    equals !== undefined &&
    !['string', 'boolean'].includes(typeof equals) &&
    !(typeof equals === 'number' && Number.isFinite(equals))
  ) {
    throw invalidRequest(`equals on "${condition.key}" must be a string, finite number or boolean`);
  }
  if (anyOf !== undefined && !(Array.isArray(anyOf) && anyOf.every((value) => typeof value === 'string'))) {
    throw invalidRequest(`anyOf on "${condition.key}" must be a list of strings`);
  }
  if (exists !== undefined && typeof exists !== 'boolean') {
    throw invalidRequest(`exists on "${condition.key}" must be true or false`);
  }
  if (range !== undefined) validateRange(condition.key, range);
}

function validateRange(key: string, range: NonNullable<PayloadCondition['range']>): void {
  if (typeof range !== 'object' || range === null || Array.isArray(range)) {
    throw invalidRequest(`range on "${key}" must be an object with gt, gte, lt or lte`);
  }
  const unknown = Object.keys(range).filter((bound) => !(rangeBounds as readonly string[]).includes(bound));
  if (unknown.length > 0) throw invalidRequest(`range on "${key}" has unknown bound(s): ${unknown.join(', ')}`);
  const given = rangeBounds.filter((bound) => range[bound] !== undefined);
  if (given.length === 0) throw invalidRequest(`range on "${key}" needs at least one of gt, gte, lt or lte`);
  for (const bound of given) {
    if (typeof range[bound] !== 'number' || !Number.isFinite(range[bound])) {
      throw invalidRequest(`range.${bound} on "${key}" must be a finite number`);
    }
  }
}

// Qdrant reads filter keys as JSON paths; a quoted segment cannot hold `"` or `\`.
function validateKey(key: string): void {
  if (typeof key !== 'string' || key === '' || /["\\]/.test(key)) {
    throw invalidRequest(`payload key ${JSON.stringify(key)} must be non-empty and free of '"' and '\\'`);
  }
}

/** `anyOf: []` can match nothing: the search is empty and a delete removes nothing. */
export function matchesNothing(filter: VectorFilter): boolean {
  return filter.must.some((condition) => condition.anyOf !== undefined && condition.anyOf.length === 0);
}

export function validateQuery(query: VectorQuery, dimensions: number): void {
  if (!['dense', 'keyword', 'hybrid'].includes(query.mode)) {
    throw invalidRequest(`search mode must be dense, keyword or hybrid, got ${String(query.mode)}`);
  }
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > maxSearchLimit) {
    throw invalidRequest(`limit must be an integer in [1, ${maxSearchLimit}], got ${query.limit}`);
  }
  if (query.mode !== 'keyword') {
    if (!query.vector) throw invalidRequest(`${query.mode} search needs a query vector`);
    validateVector(query.vector, dimensions, 'the query vector');
  }
  if (query.mode !== 'dense' && typeof query.text !== 'string') {
    throw invalidRequest(`${query.mode} search needs a query text`);
  }
  validateFilter(query.filter);
  // Checked in every mode, so that a bad setting fails on the first search, not the first hybrid one.
  if (query.fusion !== undefined) validateFusion(query.fusion);
}

export function validateFusion(fusion: HybridFusion): void {
  const nonNegative = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (typeof fusion !== 'object' || fusion === null) throw invalidRequest('fusion must be an object');
  for (const key of ['denseWeight', 'keywordWeight'] as const) {
    if (!nonNegative(fusion[key])) {
      throw invalidRequest(`fusion.${key} must be a non-negative finite number, got ${String(fusion[key])}`);
    }
  }
  if (fusion.denseWeight === 0 && fusion.keywordWeight === 0) {
    throw invalidRequest('fusion needs a positive denseWeight or keywordWeight');
  }
  if (fusion.k !== undefined && !nonNegative(fusion.k)) {
    throw invalidRequest(`fusion.k must be a non-negative finite number, got ${String(fusion.k)}`);
  }
}
