import { isKeelError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { createEmbeddedDocumentStore } from '../embedded/index.js';
import { findPage } from './find-page.js';

describe('findPage', () => {
  it('pages through a collection and reports a forged cursor as a 400 naming the cursor', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const notes = await store.collection<{ id: string; n: number }>('notes');
    for (const n of [1, 2, 3]) await notes.insert({ id: `n${n}`, n });
    const first = await findPage(notes, { limit: 2 });
    expect(first.items.map((note) => note.id)).toEqual(['n1', 'n2']);
    const second = await findPage(notes, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((note) => note.id)).toEqual(['n3']);

    const failure = await findPage(notes, { limit: 2, cursor: 'not-a-cursor' }).catch((error) => error);
    expect(isKeelError(failure)).toBe(true);
    expect(failure).toMatchObject({ httpStatus: 400, code: 'PAGING.INVALID_CURSOR' });
    expect(failure.violations[0].field).toBe('cursor');
    await store.close();
  });
});
