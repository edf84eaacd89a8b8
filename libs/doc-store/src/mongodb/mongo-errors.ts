import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { StoreUnavailableError } from '../document-store.js';

export const DUPLICATE_KEY_CODE = 11000;

/**
 * A unique-key violation. MongoDB reports E11000. FerretDB v1 does for inserts, but an update or
 * replace that breaks a unique index comes back as InternalError (code 1) carrying SQLite's
 * "UNIQUE constraint failed: index '<table>_<hash>_<index name>'".
 */
export function isDuplicateKeyError(error: unknown): error is MongoServerError {
  if (!(error instanceof MongoServerError)) return false;
  return error.code === DUPLICATE_KEY_CODE || (error.code === 1 && error.message.includes('UNIQUE constraint failed'));
}

/**
 * Whether a duplicate-key error names this index: MongoDB writes `index: <name> dup key`, FerretDB
 * v1's SQLite message `index '<table>_<hash>_<name>'`; FerretDB's E11000 names none.
 */
export function duplicateNamesIndex(error: MongoServerError, name: string): boolean {
  const mongo = /index: (\S+)/.exec(error.message)?.[1];
  if (mongo !== undefined) return mongo === name;
  const sqlite = /index '([^']+)'/.exec(error.message)?.[1];
  return sqlite !== undefined && (sqlite === name || sqlite.endsWith(`_${name}`));
}

/** Whether the error names an index at all (else the holder of the key has to be looked up). */
export function duplicateNamesAnyIndex(error: MongoServerError): boolean {
  return /index: \S+|index '[^']+'/.test(error.message);
}

/** Errors that mean "the server is not reachable now" rather than "this request is wrong". */
export function isUnavailableError(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    (error instanceof MongoError && error.hasErrorLabel('ResetPool'))
  );
}

/** Turns connectivity failures into the port's retryable `StoreUnavailableError`; other errors pass. */
export function translateMongoError(error: unknown, where: string): unknown {
  if (!isUnavailableError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`cannot reach MongoDB at ${where}: ${reason}`, { cause: error });
}
