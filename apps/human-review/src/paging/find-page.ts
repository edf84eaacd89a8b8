/** One page of a tenant-scoped listing, with a bad cursor reported as the caller's mistake. */
import { type Collection, type FindOptions, InvalidQueryError, type Page, type StoredDocument } from '@keel/doc-store';
import { validationError } from '@keel/platform';

export async function findPage<T extends StoredDocument>(
  collection: Collection<T>,
  options: FindOptions,
): Promise<Page<T>> {
  try {
    return await collection.find(options);
  } catch (error) {
    // The only query input a client controls is the opaque cursor (a foreign or forged one).
    if (error instanceof InvalidQueryError && options.cursor !== undefined) {
      throw validationError([{ field: 'cursor', message: error.message }], undefined, 'PAGING.INVALID_CURSOR');
    }
    throw error;
  }
}
