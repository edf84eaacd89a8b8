import { InvalidQueryError, type Page, type Sort, type StoredDocument } from '../document-store.js';
import { type CursorValue, encodeCursor } from './cursor.js';
import { readPath } from './json-values.js';

/**
 * Builds a page from up to `limit + 1` rows read in order: the extra row only tells that
 * another page exists, so the last page never comes with a cursor to an empty page.
 */
export function toPage<T extends StoredDocument>(rows: T[], limit: number, sort: Sort): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1] as T;
  return { items, nextCursor: encodeCursor(sort, { value: sortValueOf(last, sort.field), id: last.id }) };
}

function sortValueOf(document: StoredDocument, field: string): CursorValue {
  const value = field === 'id' ? document.id : readPath(document, field);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new InvalidQueryError(
    `cannot page by ${field}: document ${document.id} holds ${Array.isArray(value) ? 'an array' : `a ${typeof value}`} there; ` +
      'pagination orders by numbers, strings or missing values',
  );
}
