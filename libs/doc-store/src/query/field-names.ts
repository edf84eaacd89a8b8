import { InvalidQueryError } from '../document-store.js';

/** The document key every adapter maps to its primary key (`_id` in MongoDB, the `id` column in SQLite). */
export const ID_FIELD = 'id';

/**
 * One segment of a field path. Field paths are written into SQL (SQLite only uses an expression
 * index when the query repeats the indexed expression literally, so JSON paths cannot be bound
 * parameters) and into MongoDB operator documents, so they are restricted to plain identifiers:
 * nothing that could close a quote, start an operator (`$`) or index into an array.
 */
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Collection names become SQLite table names and MongoDB collection names. */
const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,119}$/;

/** Validates a (possibly dotted) field path such as `status` or `lease.expiresAt`. */
export function assertFieldPath(path: string, context = 'field'): void {
  if (typeof path !== 'string' || path.length === 0 || path.length > 200) {
    throw new InvalidQueryError(`invalid ${context} name: ${JSON.stringify(path)}`);
  }
  for (const segment of path.split('.')) {
    if (!SEGMENT.test(segment)) {
      throw new InvalidQueryError(
        `invalid ${context} name ${JSON.stringify(path)}: each dot-separated part must match ${SEGMENT.source}`,
      );
    }
  }
  if (path === '_id' || path.startsWith('_id.')) {
    throw new InvalidQueryError(`invalid ${context} name ${JSON.stringify(path)}: documents are keyed by "id"`);
  }
}

export function assertCollectionName(name: string): void {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name) || name.toLowerCase().startsWith('sqlite_')) {
    throw new InvalidQueryError(
      `invalid collection name ${JSON.stringify(name)}: use letters, digits, "_" and "-" (at most 120, starting with a letter)`,
    );
  }
}
