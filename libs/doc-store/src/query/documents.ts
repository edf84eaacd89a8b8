import { InvalidQueryError, type StoredDocument } from '../document-store.js';
import { assertFieldPath, ID_FIELD } from './field-names.js';
import { assertJsonValue, isPlainObject, readPath } from './json-values.js';

/**
 * Top-level keys the adapters keep for themselves: MongoDB's primary key, and the Date shadow of
 * the TTL field that a MongoDB TTL index watches. Rejected in every adapter so documents move
 * between them unchanged.
 */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set(['_id', '_keelExpiresAt']);

const MAX_ID_LENGTH = 512;

export function assertStorableDocument(document: unknown, collection: string): asserts document is StoredDocument {
  if (!isPlainObject(document)) throw new InvalidQueryError(`${collection}: a document must be a plain object`);
  const id = document[ID_FIELD];
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidQueryError(`${collection}: a document needs a string id of 1 to ${MAX_ID_LENGTH} characters`);
  }
  for (const key of Object.keys(document)) {
    if (RESERVED_FIELDS.has(key)) throw new InvalidQueryError(`${collection}: the field name ${key} is reserved`);
  }
  assertJsonValue(document, `${collection}/${id}`);
}

/** Splits the id from the rest, which is what both adapters store beside their primary key. */
export function splitId<T extends StoredDocument>(document: T): { id: string; body: Record<string, unknown> } {
  const { [ID_FIELD]: id, ...body } = document;
  return { id, body };
}

/**
 * Validates `updateIf` changes: a shallow set of top-level fields, never the id. Undefined values
 * are dropped (they mean "not changing"), matching JSON and the MongoDB driver's `ignoreUndefined`.
 */
export function prepareChanges(changes: unknown, collection: string): Record<string, unknown> {
  if (!isPlainObject(changes)) throw new InvalidQueryError(`${collection}: changes must be a plain object`);
  const prepared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (key === ID_FIELD) throw new InvalidQueryError(`${collection}: updateIf cannot change the id`);
    if (key.includes('.')) throw new InvalidQueryError(`${collection}: changes set top-level fields, got ${key}`);
    assertFieldPath(key, 'changed field');
    if (RESERVED_FIELDS.has(key)) throw new InvalidQueryError(`${collection}: the field name ${key} is reserved`);
    assertJsonValue(value, `${collection} changes.${key}`);
    prepared[key] = value;
  }
  return prepared;
}

/**
 * The expiry (epoch ms) a document carries in its TTL field, or null when it does not expire.
 * Anything but a finite number, null or absence is rejected rather than read as "never expires".
 */
export function expiryOf(document: unknown, ttlField: string | undefined, collection: string): number | null {
  if (ttlField === undefined) return null;
  const value = readPath(document, ttlField);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidQueryError(`${collection}: the TTL field ${ttlField} must hold epoch milliseconds or be absent`);
  }
  return value;
}

/**
 * Whether `changes` (a shallow set) replaces the top-level field that holds the TTL path, in which
 * case the expiry must be recomputed from the changes alone.
 */
export function changesTouchTtl(changes: Record<string, unknown>, ttlField: string | undefined): boolean {
  if (ttlField === undefined) return false;
  const top = ttlField.split('.')[0] as string;
  return Object.hasOwn(changes, top);
}
