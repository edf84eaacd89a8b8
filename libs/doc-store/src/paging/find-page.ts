/**
 * One page of a listing served to an API caller. The only query input a caller controls is the
 * opaque cursor; a foreign or forged one is the caller's mistake (400 naming `cursor`), not a
 * server error.
 */
import { validationError } from '@keel/platform';
import {
  type Collection,
  type FindOptions,
  InvalidQueryError,
  type Page,
  type StoredDocument,
} from '../document-store.js';

export async function findPage<T extends StoredDocument>(
  collection: Collection<T>,
  options: FindOptions,
): Promise<Page<T>> {
  try {
    return await collection.find(options);
  } catch (error) {
    if (error instanceof InvalidQueryError && options.cursor !== undefined) {
      throw validationError([{ field: 'cursor', message: error.message }], undefined, 'PAGING.INVALID_CURSOR');
    }
    throw error;
  }
}
