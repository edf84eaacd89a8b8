import { uniqueName } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection, CollectionOptions, DocumentStore, Filter, StoredDocument } from '../document-store.js';
import { collectPages, compareBySortValue, type Ranked, sleep } from './contract-helpers.js';

interface Item extends StoredDocument {
  tenantId: string;
  status: string;
  priority?: number;
  title: string;
  tags?: string[];
  flag?: boolean;
  meta?: { source: string; score?: number };
  note?: null;
  numbers?: number[];
}

interface Claimable extends StoredDocument {
  status: 'pending' | 'claimed' | 'done';
  owner?: string;
  leaseExpiresAt?: number;
}

interface Expiring extends StoredDocument {
  expiresAt?: number;
  label?: string;
}

const ITEMS: Item[] = [
  {
    id: 'a',
    tenantId: 't1',
    status: 'pending',
    priority: 3,
    title: 'alpha',
    tags: ['red', 'blue'],
    flag: true,
    meta: { source: 'web', score: 0.5 },
    note: null,
  },
  {
    id: 'b',
    tenantId: 't1',
    status: 'claimed',
    priority: 1,
    title: 'beta',
    tags: ['green'],
    flag: false,
    meta: { source: 'api', score: 0.9 },
  },
  {
    id: 'c',
    tenantId: 't2',
    status: 'done',
    priority: 2,
    title: 'gamma',
    tags: [],
    meta: { source: 'web' },
    numbers: [1, 5, 10],
  },
  { id: 'd', tenantId: 't2', status: 'pending', priority: 5, title: '5', tags: ['red'], flag: true },
  { id: 'e', tenantId: 't1', status: 'pending', title: 'epsilon' },
];

/**
 * The one behaviour every DocumentStore adapter must have. `makeStore` is called once for the
 * suite; each test works in its own uniquely named collection, so runs against a shared server
 * never collide. The caller drops what the store created (a database, a file) after the suite.
 */
export function describeDocumentStoreContract(name: string, makeStore: () => Promise<DocumentStore>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let store: DocumentStore;

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      await store?.close();
    });

    const open = <T extends StoredDocument>(options?: CollectionOptions) =>
      store.collection<T>(uniqueName('contract'), options);

    const seeded = async (options?: CollectionOptions) => {
      const items = await open<Item>(options);
      for (const item of ITEMS) await items.insert(item);
      return items;
    };

    const ids = (documents: StoredDocument[]) => documents.map((document) => document.id);

    it('reports healthy', async () => {
      expect((await store.health()).ok).toBe(true);
    });

    describe('insert, get, upsert, delete', () => {
      it('returns what was inserted, JSON types intact', async () => {
        const items = await open<Item>();
        for (const item of ITEMS) await items.insert(item);
        for (const item of ITEMS) expect(await items.get(item.id)).toEqual(item);
        const big = { id: 'numbers', tenantId: 't', status: 's', title: 't', at: 1_767_225_600_123, ratio: -0.125 };
        await items.insert(big);
        expect(await items.get('numbers')).toEqual(big);
      });

      it('returns null for an unknown id', async () => {
        const items = await open<Item>();
        expect(await items.get('missing')).toBeNull();
      });

      it('drops undefined properties instead of storing null', async () => {
        const items = await open<Item>();
        await items.insert({ id: 'u', tenantId: 't', status: 's', title: 't', priority: undefined });
        expect(Object.keys((await items.get('u')) ?? {})).not.toContain('priority');
      });

      it('rejects a second insert with the same id, leaving the first', async () => {
        const items = await open<Item>();
        await items.insert(ITEMS[0] as Item);
        const error = await items.insert({ ...(ITEMS[1] as Item), id: 'a' }).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: 'DuplicateKeyError', code: 'STORE.DUPLICATE_KEY', key: 'a' });
        expect(error).toMatchObject({ collection: items.name, retryable: false });
        expect(await items.get('a')).toEqual(ITEMS[0]);
      });

      it('upsert inserts, then replaces the whole document', async () => {
        const items = await open<Item>();
        await items.upsert({ id: 'x', tenantId: 't1', status: 'pending', title: 'first', priority: 9 });
        await items.upsert({ id: 'x', tenantId: 't1', status: 'done', title: 'second' });
        expect(await items.get('x')).toEqual({ id: 'x', tenantId: 't1', status: 'done', title: 'second' });
        expect(await items.count()).toBe(1);
      });

      it('upsertMany inserts and replaces many at once, the last of an id winning', async () => {
        const items = await open<Item>();
        await items.insert({ id: 'x', tenantId: 't1', status: 'pending', title: 'old', priority: 9 });
        await items.upsertMany([
          { id: 'x', tenantId: 't1', status: 'done', title: 'replaced' },
          { id: 'y', tenantId: 't1', status: 'pending', title: 'first' },
          { id: 'y', tenantId: 't1', status: 'done', title: 'second' },
          { id: 'z', tenantId: 't2', status: 'pending', title: 'new' },
        ]);
        await items.upsertMany([]);
        expect(await items.get('x')).toEqual({ id: 'x', tenantId: 't1', status: 'done', title: 'replaced' });
        expect(await items.get('y')).toEqual({ id: 'y', tenantId: 't1', status: 'done', title: 'second' });
        expect(await items.get('z')).toMatchObject({ title: 'new' });
        expect(await items.count()).toBe(3);
      });

      it('upsertMany validates every document before writing any', async () => {
        const items = await open<StoredDocument>();
        const batch = [{ id: 'fine', title: 'ok' }, { id: 'bad', at: new Date() }, { id: 'also-fine' }];
        await expect(items.upsertMany(batch as StoredDocument[])).rejects.toMatchObject({
          code: 'STORE.INVALID_QUERY',
        });
        expect(await items.count()).toBe(0);
      });

      it('delete reports whether a document was there', async () => {
        const items = await seeded();
        expect(await items.delete('a')).toBe(true);
        expect(await items.delete('a')).toBe(false);
        expect(await items.get('a')).toBeNull();
        expect(await items.count()).toBe(ITEMS.length - 1);
      });

      it('of concurrent deletes of one document, exactly one reports it', async () => {
        const items = await seeded();
        const results = await Promise.all([1, 2, 3].map(() => items.delete('b')));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('rejects values that would not round-trip through every adapter', async () => {
        const items = await open<StoredDocument>();
        const invalid: unknown[] = [
          { id: 'd', at: new Date() },
          { id: 'n', value: Number.NaN },
          { id: 'k', nested: { 'a.b': 1 } },
          { id: 'o', nested: { $set: 1 } },
          { id: 'r', _id: 'other' },
          { id: '' },
          { title: 'no id' },
        ];
        for (const document of invalid) {
          await expect(items.insert(document as StoredDocument)).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
        }
        expect(await items.count()).toBe(0);
      });

      it('opening a collection again is idempotent and keeps its documents', async () => {
        const name = uniqueName('contract');
        const options = { indexes: [{ fields: ['tenantId', 'status'] }, { fields: ['title'], unique: true }] };
        const first = await store.collection<Item>(name, options);
        await first.insert(ITEMS[0] as Item);
        const again = await store.collection<Item>(name, options);
        expect(await again.get('a')).toEqual(ITEMS[0]);
      });

      it('rejects invalid collection names', async () => {
        for (const name of ['', 'has space', 'semi;colon', 'quote"d', 'a.b', '$x']) {
          await expect(store.collection(name)).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
        }
      });
    });

    describe('unique indexes', () => {
      const options = { indexes: [{ fields: ['tenantId', 'title'], unique: true }, { fields: ['status'] }] };

      it('rejects an insert, an upsert or an update that takes a unique value', async () => {
        const items = await open<Item>(options);
        await items.insert({ id: 'one', tenantId: 't1', status: 'pending', title: 'intro' });
        await items.insert({ id: 'two', tenantId: 't2', status: 'pending', title: 'intro' });
        await items.insert({ id: 'three', tenantId: 't1', status: 'pending', title: 'other' });
        const expected = { code: 'STORE.DUPLICATE_KEY', key: '{"tenantId":"t1","title":"intro"}' };
        await expect(items.insert({ id: 'four', tenantId: 't1', status: 'x', title: 'intro' })).rejects.toMatchObject(
          expected,
        );
        await expect(items.upsert({ id: 'three', tenantId: 't1', status: 'x', title: 'intro' })).rejects.toMatchObject(
          expected,
        );
        await expect(items.updateIf('three', {}, { title: 'intro' })).rejects.toMatchObject({
          code: 'STORE.DUPLICATE_KEY',
        });
        await expect(
          items.upsertMany([
            { id: 'three', tenantId: 't1', status: 'x', title: 'intro' },
            { id: 'five', tenantId: 't3', status: 'x', title: 'intro' },
          ]),
        ).rejects.toMatchObject(expected);
        expect(await items.get('four')).toBeNull();
        expect((await items.get('three'))?.title).toBe('other');
        expect(await items.count()).toBe(3);
      });
    });

    describe('find filters', () => {
      const cases: [string, Filter, string[]][] = [
        ['a bare value means equality', { status: 'pending' }, ['a', 'd', 'e']],
        ['$eq', { status: { $eq: 'claimed' } }, ['b']],
        ['$ne', { status: { $ne: 'pending' } }, ['b', 'c']],
        ['$ne also matches a missing field', { flag: { $ne: true } }, ['b', 'c', 'e']],
        ['$in', { status: { $in: ['claimed', 'done'] } }, ['b', 'c']],
        ['$in with no values matches nothing', { status: { $in: [] } }, []],
        ['$gt with $lte on numbers', { priority: { $gt: 1, $lte: 3 } }, ['a', 'c']],
        ['$gte and $lt on numbers', { priority: { $gte: 3, $lt: 5 } }, ['a']],
        ['ranges on strings', { title: { $gt: 'a', $lt: 'f' } }, ['a', 'b', 'e']],
        ['a number range never matches strings', { title: { $lt: 100 } }, []],
        ['a string range never matches numbers', { priority: { $lt: '9' } }, []],
        ['a number never equals a numeric string', { title: 5 }, []],
        ['a string equals a string', { title: '5' }, ['d']],
        ['true is not 1', { flag: 1 }, []],
        ['booleans', { flag: true }, ['a', 'd']],
        ['false', { flag: false }, ['b']],
        ['$exists false: missing', { priority: { $exists: false } }, ['e']],
        ['$exists true: present and not null', { flag: { $exists: true } }, ['a', 'b', 'd']],
        ['$exists true excludes null', { note: { $exists: true } }, []],
        ['null matches null and missing', { note: null }, ['a', 'b', 'c', 'd', 'e']],
        ['nested fields', { 'meta.source': 'web' }, ['a', 'c']],
        ['nested ranges', { 'meta.score': { $gte: 0.5 } }, ['a', 'b']],
        ['equality with an array field means contains', { tags: 'red' }, ['a', 'd']],
        ['$in over an array field', { tags: { $in: ['green', 'blue'] } }, ['a', 'b']],
        ['a range over an array field matches any element', { numbers: { $gt: 7 } }, ['c']],
        ['$ne over an array field means does not contain', { tags: { $ne: 'red' } }, ['b', 'c', 'e']],
        ['equality with a whole array', { tags: ['red', 'blue'] }, ['a']],
        ['equality with a whole object', { meta: { source: 'api', score: 0.9 } }, ['b']],
        ['$or', { $or: [{ status: 'done' }, { priority: { $gte: 5 } }] }, ['c', 'd']],
        ['fields and $or together', { tenantId: 't1', $or: [{ status: 'claimed' }, { title: 'epsilon' }] }, ['b', 'e']],
        [
          'nested $or',
          { $or: [{ tenantId: 't2', $or: [{ flag: true }, { tags: 'red' }] }, { title: 'beta' }] },
          ['b', 'd'],
        ],
        ['id like any field', { id: { $in: ['b', 'e', 'zz'] } }, ['b', 'e']],
        ['id ranges', { id: { $gt: 'b', $lte: 'd' } }, ['c', 'd']],
        ['several conditions are a conjunction', { tenantId: 't1', status: 'pending', flag: true }, ['a']],
        ['an empty filter matches everything', {}, ['a', 'b', 'c', 'd', 'e']],
      ];

      it.each(cases)('%s', async (_label, where, expected) => {
        const items = await seeded();
        const page = await items.find({ where });
        expect(ids(page.items)).toEqual(expected);
        expect(await items.count(where)).toBe(expected.length);
      });

      // Adapters may compile filters on indexed fields differently (to use the index); the
      // answers must not change. One collection, seeded once, serves every read-only case.
      const indexedFields = ['tenantId', 'status', 'flag', 'priority', 'title', 'note', 'tags', 'numbers', 'meta'];
      let indexed: Collection<Item> | undefined;
      const indexedItems = async () => {
        indexed ??= await seeded({
          indexes: [...indexedFields, 'meta.source', 'meta.score'].map((field) => ({ fields: [field] })),
        });
        return indexed;
      };

      it.each(cases)('with every field indexed: %s', async (_label, where, expected) => {
        const items = await indexedItems();
        expect(ids((await items.find({ where })).items)).toEqual(expected);
        expect(await items.count(where)).toBe(expected.length);
      });

      it('rejects filters that could widen a query or inject', async () => {
        const items = await seeded();
        const invalid: unknown[] = [
          { tenantId: undefined },
          { status: { $eq: undefined } },
          { $where: 'true' },
          { status: { $regex: '.*' } },
          { status: { $eq: 'a', other: 1 } },
          { "x') OR 1=1 --": 1 },
          { 'a..b': 1 },
          { 'tags.0': 'red' },
          { $or: [] },
          { priority: { $gt: true } },
          { priority: { $exists: 'yes' } },
        ];
        for (const where of invalid) {
          await expect(items.find({ where: where as Filter })).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
          await expect(items.count(where as Filter)).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
        }
        await expect(items.find({ orderBy: { field: 'x"; DROP', direction: 'asc' } })).rejects.toMatchObject({
          code: 'STORE.INVALID_QUERY',
        });
      });
    });

    describe('ordering', () => {
      it('orders by id by default', async () => {
        const items = await open<Item>();
        for (const item of [...ITEMS].reverse()) await items.insert(item);
        expect(ids((await items.find()).items)).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('orders ascending with missing values first, descending with them last', async () => {
        const items = await seeded();
        const asc = await items.find({ orderBy: { field: 'priority', direction: 'asc' } });
        expect(ids(asc.items)).toEqual(['e', 'b', 'c', 'a', 'd']);
        const desc = await items.find({ orderBy: { field: 'priority', direction: 'desc' } });
        expect(ids(desc.items)).toEqual(['d', 'a', 'c', 'b', 'e']);
      });

      it('breaks ties by id, in the same direction', async () => {
        const items = await seeded();
        const asc = await items.find({ orderBy: { field: 'status', direction: 'asc' } });
        expect(ids(asc.items)).toEqual(['b', 'c', 'a', 'd', 'e']);
        const desc = await items.find({ orderBy: { field: 'status', direction: 'desc' } });
        expect(ids(desc.items)).toEqual(['e', 'd', 'a', 'c', 'b']);
      });

      it('orders by nested fields and by id descending', async () => {
        const items = await seeded();
        const byScore = await items.find({ orderBy: { field: 'meta.score', direction: 'desc' }, limit: 2 });
        expect(ids(byScore.items)).toEqual(['b', 'a']);
        const byId = await items.find({ orderBy: { field: 'id', direction: 'desc' } });
        expect(ids(byId.items)).toEqual(['e', 'd', 'c', 'b', 'a']);
      });
    });

    describe('cursor pagination', () => {
      // 25 documents; ranks repeat (ties) and every fifth has none (missing sorts first).
      const ranked: Ranked[] = Array.from({ length: 25 }, (_, index) => ({
        id: `doc-${String((index * 7) % 25).padStart(2, '0')}`,
        group: index % 2 === 0 ? 'even' : 'odd',
        ...(index % 5 === 4 ? {} : { rank: index % 4 }),
      }));

      const seedRanked = async () => {
        const collection = await open<Ranked>({ indexes: [{ fields: ['rank'] }] });
        for (const document of ranked) await collection.insert(document);
        return collection;
      };

      for (const direction of ['asc', 'desc'] as const) {
        it(`returns every document exactly once, in order (rank ${direction})`, async () => {
          const collection = await seedRanked();
          const orderBy = { field: 'rank', direction };
          const expected = [...ranked]
            .sort((x, y) => compareBySortValue(x, y, 'rank', direction))
            .map((document) => document.id);
          const pages = await collectPages((cursor) => collection.find({ orderBy, limit: 10, cursor }));
          expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
          expect(pages.flat().map((document) => document.id)).toEqual(expected);
          // Small pages put cursors among the documents without a rank as well.
          const small = await collectPages((cursor) => collection.find({ orderBy, limit: 3, cursor }));
          expect(small.flat().map((document) => document.id)).toEqual(expected);
        });
      }

      it('pages by id, and by a filter', async () => {
        const collection = await seedRanked();
        const byId = await collectPages((cursor) => collection.find({ limit: 10, cursor }));
        expect(byId.flat().map((document) => document.id)).toEqual(ranked.map((document) => document.id).sort());
        const odd = await collectPages((cursor) =>
          collection.find({ where: { group: 'odd' }, orderBy: { field: 'rank', direction: 'desc' }, limit: 5, cursor }),
        );
        const expected = ranked
          .filter((document) => document.group === 'odd')
          .sort((x, y) => compareBySortValue(x, y, 'rank', 'desc'));
        expect(odd.flat().map((document) => document.id)).toEqual(expected.map((document) => document.id));
      });

      it('never repeats or skips a document while others are inserted between pages', async () => {
        const collection = await seedRanked();
        const orderBy = { field: 'rank', direction: 'asc' } as const;
        let fetched = 0;
        const pages = await collectPages(async (cursor) => {
          const page = await collection.find({ orderBy, limit: 10, cursor });
          fetched += 1;
          if (fetched <= 2) {
            // Behind the cursor (never seen), at a tie with a higher id, and far ahead (seen later).
            await collection.insert({ id: `early-${fetched}`, group: 'new' });
            await collection.insert({ id: `zz-tie-${fetched}`, group: 'new', rank: 1 });
            await collection.insert({ id: `late-${fetched}`, group: 'new', rank: 100 });
          }
          return page;
        });
        const seen = pages.flat();
        const seenIds = seen.map((document) => document.id);
        expect(new Set(seenIds).size).toBe(seenIds.length);
        for (const document of ranked) expect(seenIds).toContain(document.id);
        expect(seen).toEqual([...seen].sort((x, y) => compareBySortValue(x, y, 'rank', 'asc')));
        expect(seenIds).toEqual(expect.arrayContaining(['late-1', 'late-2']));
        expect(seenIds).not.toContain('early-1');
        expect(seenIds).not.toContain('early-2');
      });

      it('rejects a cursor from another order, or one it did not issue', async () => {
        const collection = await seedRanked();
        const first = await collection.find({ orderBy: { field: 'rank', direction: 'asc' }, limit: 3 });
        expect(first.nextCursor).toBeTypeOf('string');
        await expect(
          collection.find({ orderBy: { field: 'rank', direction: 'desc' }, cursor: first.nextCursor }),
        ).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
        await expect(collection.find({ cursor: 'not-a-cursor' })).rejects.toMatchObject({
          code: 'STORE.INVALID_QUERY',
        });
      });

      it('clamps the limit and leaves no cursor on the last page', async () => {
        const collection = await seedRanked();
        expect((await collection.find({ limit: 0 })).items).toHaveLength(1);
        const all = await collection.find({ limit: 5000 });
        expect(all.items).toHaveLength(25);
        expect(all.nextCursor).toBeUndefined();
        const exact = await collection.find({ limit: 25 });
        expect(exact.nextCursor).toBeUndefined();
        const defaults = await collection.find();
        expect(defaults.items).toHaveLength(25);
      });
    });

    describe('count and deleteMany', () => {
      it('counts all or matching documents', async () => {
        const items = await seeded();
        expect(await items.count()).toBe(5);
        expect(await items.count({ status: 'pending' })).toBe(3);
      });

      it('deletes matching documents and returns how many', async () => {
        const items = await seeded();
        expect(await items.deleteMany({ tenantId: 't1', status: 'pending' })).toBe(2);
        expect(ids((await items.find()).items)).toEqual(['b', 'c', 'd']);
        expect(await items.deleteMany({ status: 'nothing' })).toBe(0);
      });
    });

    describe('updateIf', () => {
      it('applies the changes only when the condition matches', async () => {
        const jobs = await open<Claimable>();
        await jobs.insert({ id: 'j1', status: 'pending' });
        const claimed = await jobs.updateIf('j1', { status: 'pending' }, { status: 'claimed', owner: 'w1' });
        expect(claimed).toEqual({ id: 'j1', status: 'claimed', owner: 'w1' });
        expect(await jobs.updateIf('j1', { status: 'pending' }, { status: 'claimed', owner: 'w2' })).toBeNull();
        expect(await jobs.get('j1')).toEqual({ id: 'j1', status: 'claimed', owner: 'w1' });
        expect(await jobs.updateIf('missing', {}, { status: 'done' })).toBeNull();
      });

      it('sets top-level fields and keeps the others', async () => {
        const items = await seeded();
        const updated = await items.updateIf('a', { tenantId: 't1' }, { meta: { source: 'import' }, priority: 7 });
        expect(updated).toEqual({ ...ITEMS[0], meta: { source: 'import' }, priority: 7 });
        expect(await items.get('a')).toEqual(updated);
        expect(await items.updateIf('a', {}, {})).toEqual(updated);
        await expect(items.updateIf('a', {}, { id: 'other' })).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
      });

      it('lets exactly one of two concurrent claims win', async () => {
        const jobs = await open<Claimable>();
        await jobs.insert({ id: 'race', status: 'pending' });
        const results = await Promise.all(
          ['w1', 'w2'].map((owner) => jobs.updateIf('race', { status: 'pending' }, { status: 'claimed', owner })),
        );
        const winners = results.filter((result) => result !== null);
        expect(winners).toHaveLength(1);
        expect((await jobs.get('race'))?.owner).toBe(winners[0]?.owner);
      });

      it('gives each of many contended jobs to exactly one worker', async () => {
        const jobs = await open<Claimable>();
        const jobIds = Array.from({ length: 8 }, (_, index) => `j${index}`);
        for (const id of jobIds) await jobs.insert({ id, status: 'pending' });
        const attempts = jobIds.flatMap((id) =>
          ['w1', 'w2', 'w3', 'w4'].map((owner) =>
            jobs.updateIf(id, { status: 'pending' }, { status: 'claimed', owner }),
          ),
        );
        const won = (await Promise.all(attempts)).filter((result) => result !== null);
        expect(won.map((job) => job.id).sort()).toEqual(jobIds);
      });

      it('takes over an expired lease, not a live one', async () => {
        const jobs = await open<Claimable>();
        const now = Date.now();
        await jobs.insert({ id: 'free', status: 'pending' });
        await jobs.insert({ id: 'stale', status: 'claimed', owner: 'gone', leaseExpiresAt: now - 1000 });
        await jobs.insert({ id: 'held', status: 'claimed', owner: 'busy', leaseExpiresAt: now + 60_000 });
        await jobs.insert({ id: 'finished', status: 'done', owner: 'w0', leaseExpiresAt: now - 1000 });
        const claimable: Filter = {
          $or: [{ status: 'pending' }, { status: 'claimed', leaseExpiresAt: { $lt: now } }],
        };
        const lease = { status: 'claimed' as const, owner: 'me', leaseExpiresAt: now + 30_000 };
        expect(await jobs.updateIf('free', claimable, lease)).toMatchObject({ owner: 'me' });
        expect(await jobs.updateIf('stale', claimable, lease)).toMatchObject({ owner: 'me' });
        expect(await jobs.updateIf('held', claimable, lease)).toBeNull();
        expect(await jobs.updateIf('finished', claimable, lease)).toBeNull();
        expect(ids((await jobs.find({ where: claimable })).items)).toEqual([]);
      });
    });

    describe('expiry (ttlField)', () => {
      const ttl = { ttlField: 'expiresAt', indexes: [{ fields: ['label'], unique: true }] };

      it('hides an expired document from every read at once', async () => {
        const sessions = await open<Expiring>(ttl);
        const now = Date.now();
        await sessions.insert({ id: 'old', expiresAt: now - 1000, label: 'old' });
        await sessions.insert({ id: 'live', expiresAt: now + 60_000, label: 'live' });
        await sessions.insert({ id: 'forever', label: 'forever' });
        expect(await sessions.get('old')).toBeNull();
        expect(ids((await sessions.find()).items)).toEqual(['forever', 'live']);
        expect(await sessions.count()).toBe(2);
        expect(await sessions.count({ label: 'old' })).toBe(0);
        expect(await sessions.updateIf('old', {}, { label: 'revived' })).toBeNull();
        expect(await sessions.delete('old')).toBe(false);
      });

      it('hides a document once its time passes, without waiting for the purge', async () => {
        const sessions = await open<Expiring>(ttl);
        await sessions.insert({ id: 'soon', expiresAt: Date.now() + 300 });
        expect(await sessions.get('soon')).not.toBeNull();
        await sleep(400);
        expect(await sessions.get('soon')).toBeNull();
        expect(await sessions.find({ where: { id: 'soon' } })).toEqual({ items: [] });
      });

      it('lets a new document take the id or unique value of an expired one', async () => {
        const sessions = await open<Expiring>(ttl);
        await sessions.insert({ id: 's1', expiresAt: Date.now() - 1, label: 'taken' });
        await sessions.insert({ id: 's1', expiresAt: Date.now() + 60_000, label: 'fresh' });
        await sessions.insert({ id: 's2', expiresAt: Date.now() - 1, label: 'reused' });
        await sessions.insert({ id: 's3', label: 'reused' });
        expect(await sessions.get('s1')).toMatchObject({ label: 'fresh' });
        expect(await sessions.get('s3')).toMatchObject({ label: 'reused' });
        await expect(sessions.insert({ id: 's4', label: 'fresh' })).rejects.toMatchObject({
          code: 'STORE.DUPLICATE_KEY',
        });
      });

      it('follows expiry changes made by updateIf and upsert', async () => {
        const sessions = await open<Expiring>(ttl);
        await sessions.insert({ id: 'renew', expiresAt: Date.now() + 60_000 });
        expect(await sessions.updateIf('renew', {}, { expiresAt: Date.now() - 1 })).not.toBeNull();
        expect(await sessions.get('renew')).toBeNull();
        await sessions.upsert({ id: 'renew', label: 'no expiry now' });
        expect(await sessions.get('renew')).toEqual({ id: 'renew', label: 'no expiry now' });
        await sessions.upsertMany([
          { id: 'renew', expiresAt: Date.now() - 1 },
          { id: 'batched', expiresAt: Date.now() + 60_000 },
        ]);
        expect(await sessions.get('renew')).toBeNull();
        expect(await sessions.get('batched')).not.toBeNull();
        expect(await sessions.deleteMany({})).toBe(1);
      });

      it('rejects an expiry that is not epoch milliseconds', async () => {
        const sessions = await open<StoredDocument>(ttl);
        await expect(sessions.insert({ id: 'bad', expiresAt: '2030-01-01' })).rejects.toMatchObject({
          code: 'STORE.INVALID_QUERY',
        });
      });
    });

    describe('tenant isolation', () => {
      it('never returns, counts, changes or deletes another tenant’s documents', async () => {
        const records = await open<Item>({ indexes: [{ fields: ['tenantId', 'status'] }] });
        for (let index = 0; index < 12; index += 1) {
          const tenantId = index % 3 === 0 ? 'acme' : 'globex';
          await records.insert({
            id: `r${String(index).padStart(2, '0')}`,
            tenantId,
            status: 'open',
            title: `t${index}`,
          });
        }
        const acme = await collectPages((cursor) => records.find({ where: { tenantId: 'acme' }, limit: 2, cursor }));
        expect(acme.flat().every((record) => record.tenantId === 'acme')).toBe(true);
        expect(acme.flat()).toHaveLength(4);
        expect(await records.count({ tenantId: 'acme', status: 'open' })).toBe(4);
        expect(await records.updateIf('r01', { tenantId: 'acme' }, { status: 'stolen' })).toBeNull();
        expect(await records.deleteMany({ tenantId: 'acme' })).toBe(4);
        expect(await records.count({ tenantId: 'globex' })).toBe(8);
        await expect(records.find({ where: { tenantId: undefined } })).rejects.toMatchObject({
          code: 'STORE.INVALID_QUERY',
        });
      });
    });
  });
}
