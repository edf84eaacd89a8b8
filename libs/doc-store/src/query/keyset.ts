import type { Sort } from '../document-store.js';
import type { CursorPosition } from './cursor.js';
import { ID_FIELD } from './field-names.js';
import type { Predicate } from './filter.js';

/**
 * The documents after `position` in the order `sort` (then id, in the same direction), as a
 * predicate: seek past the last item instead of skipping, so a page costs the same however deep
 * it is and inserts between pages never repeat or skip a document already ordered before the cursor.
 * Missing and null values sort first ascending and last descending, as in MongoDB and SQLite.
 */
export function keysetPredicate(sort: Sort, position: CursorPosition): Predicate {
  const after = sort.direction === 'asc' ? 'gt' : 'lt';
  const idAfter: Predicate = { kind: 'range', field: ID_FIELD, operator: after, value: position.id };
  if (sort.field === ID_FIELD) return idAfter;
  const field = sort.field;
  const sameValue = (value: CursorPosition['value']): Predicate => ({
    kind: 'and',
    predicates: [{ kind: 'eq', field, value }, idAfter],
  });
  if (position.value === null) {
    return sort.direction === 'asc'
      ? { kind: 'or', predicates: [sameValue(null), { kind: 'ne', field, value: null }] }
      : sameValue(null);
  }
  const beyond: Predicate = { kind: 'range', field, operator: after, value: position.value };
  const alternatives = [beyond, sameValue(position.value)];
  if (sort.direction === 'desc') alternatives.push({ kind: 'eq', field, value: null });
  return { kind: 'or', predicates: alternatives };
}
