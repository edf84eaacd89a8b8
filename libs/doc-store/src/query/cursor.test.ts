import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../document-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { keysetPredicate } from './keyset.js';
import { toPage } from './page.js';

describe('cursors', () => {
  const sort = { field: 'createdAt', direction: 'desc' } as const;

  it('round-trips the position as URL-safe text', () => {
    const cursor = encodeCursor(sort, { value: 1_767_225_600_000, id: 'doc/+=1' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, sort)).toEqual({ value: 1_767_225_600_000, id: 'doc/+=1' });
    expect(decodeCursor(encodeCursor(sort, { value: null, id: 'x' }), sort)).toEqual({ value: null, id: 'x' });
  });

  it('refuses a cursor from another order or not from this store', () => {
    const cursor = encodeCursor(sort, { value: 'a', id: 'x' });
    expect(() => decodeCursor(cursor, { field: 'createdAt', direction: 'asc' })).toThrow(
      /issued for orderBy createdAt desc/,
    );
    expect(() => decodeCursor('%%%', sort)).toThrow(InvalidQueryError);
    const forged = Buffer.from(JSON.stringify({ f: 'createdAt', d: 'desc', v: { $gt: 1 }, i: 'x' })).toString(
      'base64url',
    );
    expect(() => decodeCursor(forged, sort)).toThrow(InvalidQueryError);
  });

  it('pages: a cursor only when more rows were read than the limit', () => {
    const rows = [{ id: 'a', at: 1 }, { id: 'b', at: 2 }, { id: 'c' }];
    expect(toPage(rows.slice(0, 2), 2, sort)).toEqual({ items: rows.slice(0, 2) });
    const page = toPage(rows, 2, { field: 'at', direction: 'asc' });
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(page.nextCursor as string, { field: 'at', direction: 'asc' })).toEqual({ value: 2, id: 'b' });
    expect(() => toPage([{ id: 'a', at: true }, { id: 'b' }], 1, { field: 'at', direction: 'asc' })).toThrow(
      /cannot page by at/,
    );
  });

  it('keyset: ties continue by id, missing values come first ascending and last descending', () => {
    expect(keysetPredicate({ field: 'id', direction: 'desc' }, { value: 'x', id: 'x' })).toEqual({
      kind: 'range',
      field: 'id',
      operator: 'lt',
      value: 'x',
    });
    const descending = keysetPredicate({ field: 'n', direction: 'desc' }, { value: 3, id: 'k' });
    expect(descending).toEqual({
      kind: 'or',
      predicates: [
        { kind: 'range', field: 'n', operator: 'lt', value: 3 },
        {
          kind: 'and',
          predicates: [
            { kind: 'eq', field: 'n', value: 3 },
            { kind: 'range', field: 'id', operator: 'lt', value: 'k' },
          ],
        },
        { kind: 'eq', field: 'n', value: null },
      ],
    });
    const ascendingFromMissing = keysetPredicate({ field: 'n', direction: 'asc' }, { value: null, id: 'k' });
    expect(ascendingFromMissing).toMatchObject({
      kind: 'or',
      predicates: [{ kind: 'and' }, { kind: 'ne', value: null }],
    });
  });
});
