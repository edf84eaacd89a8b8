import { type CollectionOptions, type IndexSpec, InvalidQueryError } from '../document-store.js';
import { assertCollectionName, assertFieldPath, ID_FIELD } from './field-names.js';
import { readPath } from './json-values.js';

export interface NormalizedCollectionOptions {
  indexes: IndexSpec[];
  ttlField?: string;
}

const MAX_INDEX_FIELDS = 8;

export function normalizeCollectionOptions(name: string, options: CollectionOptions = {}): NormalizedCollectionOptions {
  assertCollectionName(name);
  const declared = (options.indexes ?? []).map((index) => {
    if (!Array.isArray(index.fields) || index.fields.length === 0 || index.fields.length > MAX_INDEX_FIELDS) {
      throw new InvalidQueryError(`${name}: an index needs 1 to ${MAX_INDEX_FIELDS} fields`);
    }
    for (const field of index.fields) assertFieldPath(field, 'index field');
    if (new Set(index.fields).size !== index.fields.length) {
      throw new InvalidQueryError(`${name}: index fields repeat: ${index.fields.join(', ')}`);
    }
    return { fields: [...index.fields], unique: index.unique === true };
  });
  // The id is the primary key: always indexed and unique already.
  const indexes = declared.filter((index) => !(index.fields.length === 1 && index.fields[0] === ID_FIELD));
  if (options.ttlField === undefined) return { indexes };
  assertFieldPath(options.ttlField, 'ttlField');
  if (options.ttlField === ID_FIELD) throw new InvalidQueryError(`${name}: the id cannot be the TTL field`);
  return { indexes, ttlField: options.ttlField };
}

/**
 * A deterministic index name, the same on every start: both MongoDB and SQLite then recognise an
 * existing index and creating it again is a no-op.
 */
export function indexName(index: IndexSpec): string {
  return `${index.fields.join('__')}${index.unique ? '__unique' : ''}`;
}

/**
 * The `key` of a DuplicateKeyError: the id, or the unique index's fields with the values the
 * rejected write carried (`{"tenantId":"t1","slug":"intro"}`), the same text from every adapter.
 */
export function describeDuplicateKey(index: IndexSpec | undefined, id: string, source: unknown): string {
  if (index === undefined || (index.fields.length === 1 && index.fields[0] === ID_FIELD)) return id;
  const values: Record<string, unknown> = {};
  for (const field of index.fields) values[field] = field === ID_FIELD ? id : (readPath(source, field) ?? null);
  return JSON.stringify(values);
}
