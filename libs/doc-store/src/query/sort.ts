import { InvalidQueryError, type Sort } from '../document-store.js';
import { assertFieldPath, ID_FIELD } from './field-names.js';

/** The default order, and the tiebreaker of every other: `id` ascending. */
export const ID_ORDER: Sort = { field: ID_FIELD, direction: 'asc' };

export function normalizeSort(orderBy: Sort | undefined): Sort {
  if (orderBy === undefined) return ID_ORDER;
  assertFieldPath(orderBy.field, 'orderBy field');
  if (orderBy.direction !== 'asc' && orderBy.direction !== 'desc') {
    throw new InvalidQueryError(`orderBy direction must be "asc" or "desc", got ${JSON.stringify(orderBy.direction)}`);
  }
  return { field: orderBy.field, direction: orderBy.direction };
}
