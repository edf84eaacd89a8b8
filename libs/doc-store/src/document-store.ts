/**
 * The DocumentStore port: named collections of JSON documents keyed by `id`, with the
 * operations Keel's services need and no more, so that MongoDB and the embedded SQLite
 * file behave the same (one contract suite runs against both).
 *
 * Values are JSON: strings, finite numbers, booleans, null, arrays and plain objects.
 * Timestamps are epoch milliseconds (numbers), which compare and sort the same everywhere.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface StoredDocument {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: documents are caller-defined JSON objects
  [field: string]: any;
}

/** A comparison on one (possibly dotted) field. */
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
 * equality matches when the array contains the value (as in MongoDB).
 * `$or` holds alternatives, each itself a filter.
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
  /** Results are ordered by `orderBy` then by `id` (the tiebreaker); default `id` ascending. */
  orderBy?: Sort;
  /** Default 50, at most 1000. */
  limit?: number;
  /** The opaque `nextCursor` of the previous page. */
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
   * A numeric field holding an expiry time (epoch ms). Expired documents are never
   * returned by any read and are purged in the background.
   */
  ttlField?: string;
}

export interface Collection<T extends StoredDocument> {
  readonly name: string;
  /** Fails with `DuplicateKeyError` when the id (or a unique index) is taken. */
  insert(document: T): Promise<void>;
  /** Inserts or replaces the whole document. */
  upsert(document: T): Promise<void>;
  get(id: string): Promise<T | null>;
  find(options?: FindOptions): Promise<Page<T>>;
  count(where?: Filter): Promise<number>;
  /**
   * Atomically applies `changes` (a shallow set of top-level fields) if the document exists
   * and matches `condition`; returns the updated document, or null when nothing matched.
   * This is the primitive behind claims and leases.
   */
  updateIf(id: string, condition: Filter, changes: Partial<T>): Promise<T | null>;
  /** Returns whether a document was deleted. */
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
