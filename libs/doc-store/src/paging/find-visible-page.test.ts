import { describe, expect, it } from 'vitest';
import { createEmbeddedDocumentStore } from '../embedded/embedded-document-store.js';
import { findVisiblePage } from './find-visible-page.js';

type Row = { id: string; n: number; secret: boolean };

describe('findVisiblePage', () => {
  it('fills pages with visible items only, and its cursors visit every visible item once', async () => {
    const store = await createEmbeddedDocumentStore({ path: ':memory:' });
    try {
      const rows = await store.collection<Row>('rows');
      for (let n = 0; n < 40; n++) {
        await rows.upsert({ id: `r${String(n).padStart(2, '0')}`, n, secret: n % 3 !== 0 });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await findVisiblePage(
          rows,
          { orderBy: { field: 'n', direction: 'asc' }, limit: 4, ...(cursor ? { cursor } : {}) },
          { visible: (row) => !row.secret },
        );
        expect(page.items.every((row) => !row.secret)).toBe(true);
        expect(page.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.items.map((row) => row.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect(seen).toEqual(Array.from({ length: 14 }, (_, index) => `r${String(index * 3).padStart(2, '0')}`));
    } finally {
      await store.close();
    }
  });

  it('bounds the work of one request and says where to go on', async () => {
    const store = await createEmbeddedDocumentStore({ path: ':memory:' });
    try {
      const rows = await store.collection<Row>('rows');
      for (let n = 0; n < 30; n++) await rows.upsert({ id: `r${String(n).padStart(2, '0')}`, n, secret: n < 25 });
      const first = await findVisiblePage(rows, { limit: 5 }, { visible: (row) => !row.secret, maxScanned: 10 });
      expect(first.items).toEqual([]);
      expect(first.nextCursor).toBeDefined();
    } finally {
      await store.close();
    }
  });
});
