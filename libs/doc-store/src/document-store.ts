/**
 * The DocumentStore port: named collections of JSON documents keyed by `id`, with the
 * operations Keel's services need and no more, so that MongoDB and the embedded SQLite
 * file behave the same (one contract suite runs against both).
 *
 * Values are JSON: strings, finite numbers, booleans, null, arrays and plain objects.
 * Timestamps are epoch milliseconds (numbers), which compare and sort the same everywhere.
 * Writes reject anything else (a Date, NaN, a class instance), keys containing "." or starting
 * with "$", and the reserved top-level keys `_id` and `_keelExpiresAt`, with `InvalidQueryError`.
 * Undefined properties are dropped. Collection names: a letter, then letters, digits, "_" or "-".
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface StoredDocument {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: documents are caller-defined JSON objects
  [field: string]: any;
}

/**
 * A comparison on one (possibly dotted) field. Values of different JSON types never compare equal
 * or in range (1 is not "1", true is not 1); for an array field a condition holds when any element
 * satisfies it, as in MongoDB. Dotted paths go through nested objects, not through arrays.
 */
export interface FieldCondition {
  $eq?: JsonValue;
  $ne?: JsonValue;
  $in?: JsonValue[];
  $lt?: number | string;
  $lte?: number | string;
  $gt?: number | string;
  $gte?: number | string;
  /** True: the field is present and not null. False: absent or null. */
  $exists?: boolean;
}

/**
 * A conjunction of field conditions; a bare value means equality. For an array field,
 * equality matches when the array contains the value (as in MongoDB); `null` also matches a
 * missing field. `$or` holds alternatives, each itself a filter. Field names are identifiers
 * (`[A-Za-z_][A-Za-z0-9_]*`, dot-separated); an undefined value, an unknown operator or an
 * invalid name is an `InvalidQueryError`, never silently ignored (it would widen the query).
 */
export type Filter = {
  [field: string]: JsonValue | FieldCondition | Filter[] | undefined;
  $or?: Filter[];
};

export interface Sort {
  field: string;
  direction: 'asc' | 'desc';
}

export interface FindOptions {
  where?: Filter;
  /**
   * Results are ordered by `orderBy` then by `id` in the same direction (the tiebreaker); default
   * `id` ascending. Missing and null values come first ascending, last descending. Order by a field
   * holding numbers or strings (one type per field); a page cannot resume from a boolean, object or array.
   */
  orderBy?: Sort;
  /** Default 50, at most 1000. */
  limit?: number;
  /**
   * The opaque `nextCursor` of the previous page, used with the same `orderBy` (else
   * `InvalidQueryError`). Pages seek past the last item (keyset), so documents inserted between
   * pages are never repeated and none already ordered after the cursor is skipped.
   */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export interface IndexSpec {
  fields: string[];
  unique?: boolean;
}

export interface CollectionOptions {
  indexes?: IndexSpec[];
  /**
   * A numeric field holding an expiry time (epoch ms). A document expires when that time is
   * `<= now`: from then on no read returns it (get, find, count, the updateIf condition, deleteMany),
   * its id and unique values are free again, and a background purge deletes it. Absent or null
   * means it never expires; any other value is rejected.
   */
  ttlField?: string;
}

export interface Collection<T extends StoredDocument> {
  readonly name: string;
  /** Fails with `DuplicateKeyError` when the id (or a unique index) is taken. */
  insert(document: T): Promise<void>;
  /** Inserts or replaces the whole document. */
  upsert(document: T): Promise<void>;
  /**
   * Upserts many documents in one round trip (one transaction on SQLite): for writers that batch,
   * such as a ledger written behind its requests. Every document is validated before any is
   * written; for an id given twice the last wins. Not atomic on MongoDB: when it fails (a unique
   * index taken: `DuplicateKeyError`), some documents may be stored, and repeating the call is safe.
   */
  upsertMany(documents: readonly T[]): Promise<void>;
  get(id: string): Promise<T | null>;
  find(options?: FindOptions): Promise<Page<T>>;
  count(where?: Filter): Promise<number>;
  /**
   * Atomically applies `changes` (a shallow set of top-level fields; undefined values are
   * skipped; the id cannot change) if the document exists and matches `condition`; returns the
   * updated document, or null when nothing matched. Of concurrent calls whose condition the first
   * one's changes falsify, exactly one succeeds. This is the primitive behind claims and leases.
   */
  updateIf(id: string, condition: Filter, changes: Partial<T>): Promise<T | null>;
  /** Returns whether a (visible, unexpired) document was deleted. */
  delete(id: string): Promise<boolean>;
  /** Returns how many documents were deleted. */
  deleteMany(where: Filter): Promise<number>;
}

export interface DocumentStore {
  /** Opens (and on first use creates, with its indexes) a collection. Idempotent. */
  collection<T extends StoredDocument>(name: string, options?: CollectionOptions): Promise<Collection<T>>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** An id or a unique index value is already taken. */
export class DuplicateKeyError extends Error {
  readonly code = 'STORE.DUPLICATE_KEY';
  readonly retryable = false;
  constructor(
    readonly collection: string,
    readonly key: string,
  ) {
    super(`duplicate key in ${collection}: ${key}`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * A filter, field name, cursor, collection name or document the store cannot accept
 * (for example an undefined filter value, which would otherwise widen a tenant's query).
 */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
  readonly code = 'STORE.INVALID_QUERY';
  readonly retryable = false;
}

/** The database cannot be reached right now; the operation may succeed if retried. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE.UNAVAILABLE';
  readonly retryable = true;
}
