import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@keel/testing';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Filter, StoredDocument } from '../document-store.js';
import { collectPages } from '../testing/contract-helpers.js';
import { describeDocumentStoreContract } from '../testing/index.js';
import { createEmbeddedDocumentStore } from './index.js';

const directory = mkdtempSync(join(tmpdir(), 'keel-doc-store-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describeDocumentStoreContract('embedded SQLite in memory', async () =>
  createEmbeddedDocumentStore({ path: ':memory:' }),
);

describeDocumentStoreContract('embedded SQLite file', async () =>
  createEmbeddedDocumentStore({ path: join(directory, 'nested', 'dir', 'contract.db') }),
);

/** Reads a store's file directly, the way another process would. */
function countRows(path: string, table: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

describe('embedded document store on a file', () => {
  it('creates parent directories, uses WAL, and keeps documents across reopening', async () => {
    const path = join(directory, uniqueName('reopen'), 'a', 'store.db');
    const first = createEmbeddedDocumentStore({ path });
    const notes = await first.collection('notes', { indexes: [{ fields: ['slug'], unique: true }] });
    await notes.insert({ id: 'n1', slug: 'hello' });
    await first.close();
    expect(existsSync(path)).toBe(true);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();

    const second = createEmbeddedDocumentStore({ path });
    const reopened = await second.collection('notes', { indexes: [{ fields: ['slug'], unique: true }] });
    expect(await reopened.get('n1')).toEqual({ id: 'n1', slug: 'hello' });
    await expect(reopened.insert({ id: 'n2', slug: 'hello' })).rejects.toMatchObject({ code: 'STORE.DUPLICATE_KEY' });
    await second.close();
  });

  it('purges expired rows in the background and at close', async () => {
    const path = join(directory, `${uniqueName('purge')}.db`);
    const store = createEmbeddedDocumentStore({ path, purgeIntervalMs: 50 });
    const sessions = await store.collection('sessions', { ttlField: 'expiresAt' });
    await sessions.insert({ id: 'gone', expiresAt: Date.now() - 1 });
    await sessions.insert({ id: 'kept' });
    await waitFor('the purge to delete the expired row', () => countRows(path, 'sessions') === 1, { timeoutMs: 5000 });

    await sessions.insert({ id: 'short', expiresAt: Date.now() + 100 });
    const slow = createEmbeddedDocumentStore({ path, purgeIntervalMs: 3_600_000 });
    const sameSessions = await slow.collection('sessions', { ttlField: 'expiresAt' });
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await sameSessions.count()).toBe(1);
    expect(countRows(path, 'sessions')).toBe(2);
    await slow.close();
    expect(countRows(path, 'sessions')).toBe(1);
  });

  it('applies a TTL field declared after documents were written', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const before = await store.collection('tokens');
    await before.insert({ id: 'old', expiresAt: Date.now() - 1 });
    await before.insert({ id: 'new', expiresAt: Date.now() + 60_000 });
    expect(await before.count()).toBe(2);
    const after = await store.collection('tokens', { ttlField: 'expiresAt' });
    expect((await after.find()).items.map((token) => token.id)).toEqual(['new']);
    await store.close();
  });

  it('reports health, and refuses work once closed', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    expect(await store.health()).toEqual({ ok: true, detail: 'SQLite store in memory answers' });
    await store.close();
    await store.close();
    expect((await store.health()).ok).toBe(false);
    await expect(store.collection('late')).rejects.toMatchObject({ code: 'STORE.INVALID_QUERY' });
  });

  it('stores values that look like SQL as plain data', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const notes = await store.collection('notes');
    const hostile = `x'); DROP TABLE "notes"; --`;
    await notes.insert({ id: hostile, body: hostile });
    expect(await notes.find({ where: { body: hostile } })).toEqual({ items: [{ id: hostile, body: hostile }] });
    expect(await notes.count()).toBe(1);
    await store.close();
  });
});

/** Values of every JSON type, so equality and ranges must keep types apart on array-free fields. */
const MIXED: StoredDocument[] = [
  { id: 'a', tenantId: 't1', status: 'pending', priority: 3, title: 'alpha', flag: true, tags: ['red', 'blue'] },
  { id: 'b', tenantId: 't1', status: 'claimed', priority: 1, title: '5', flag: false, meta: { source: 'api' } },
  { id: 'c', tenantId: 't2', status: 'done', priority: '3', title: 5, flag: 1, meta: { source: 'web', score: 0.5 } },
  { id: 'd', tenantId: 't2', status: 'pending', priority: null, title: '{"source":"api"}', tags: [] },
  { id: 'e', tenantId: 't1', status: 'pending', title: 'epsilon', flag: 0, meta: '{"source":"api"}', tags: ['red'] },
  {
    id: 'f',
    tenantId: 't3',
    status: 'pending',
    priority: 2,
    title: 'phi',
    numbers: [1, 5, 10],
    meta: { source: 'web' },
  },
];

const MIXED_FIELDS = ['tenantId', 'status', 'priority', 'title', 'flag', 'meta', 'meta.source', 'meta.score', 'tags'];

const MIXED_FILTERS: Filter[] = [
  { tenantId: 't1' },
  { tenantId: 't1', status: 'pending' },
  { status: { $ne: 'pending' } },
  { status: { $in: ['claimed', 'done'] } },
  { priority: 3 },
  { priority: '3' },
  { priority: { $gte: 2 } },
  { priority: { $lt: '9' } },
  { priority: null },
  { priority: { $exists: true } },
  { priority: { $exists: false } },
  { priority: { $ne: null } },
  { title: 5 },
  { title: '5' },
  { title: { $gt: 'a', $lt: 'f' } },
  { flag: true },
  { flag: false },
  { flag: 1 },
  { flag: { $ne: true } },
  { meta: { source: 'api' } },
  { meta: '{"source":"api"}' },
  { title: '{"source":"api"}' },
  { 'meta.source': 'web' },
  { 'meta.score': { $gte: 0.5 } },
  { 'meta.score': null },
  { tags: 'red' },
  { tags: { $ne: 'red' } },
  { numbers: { $gt: 7 } },
  { $or: [{ tenantId: 't2' }, { priority: { $lte: 1 } }] },
];

describe('array-free indexed fields', () => {
  it('answer every filter as fields that may hold arrays do', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    // Every field indexed: all but tags are tracked as array-free, so their tests lose the array branch.
    const indexed = await store.collection('indexed', { indexes: MIXED_FIELDS.map((field) => ({ fields: [field] })) });
    const plain = await store.collection('plain');
    for (const document of MIXED) {
      await indexed.insert(document);
      await plain.insert(document);
    }
    for (const where of MIXED_FILTERS) {
      const expected = (await plain.find({ where })).items.map((document) => document.id);
      expect({ where, ids: (await indexed.find({ where })).items.map((document) => document.id) }).toEqual({
        where,
        ids: expected,
      });
      expect(await indexed.count(where)).toBe(expected.length);
    }
    const newest = { field: 'priority', direction: 'desc' } as const;
    const pages = (collection: typeof plain) =>
      collectPages((cursor) => collection.find({ where: { tenantId: 't1' }, orderBy: newest, limit: 1, cursor }));
    expect(await pages(indexed)).toEqual(await pages(plain));
    expect(await indexed.deleteMany({ status: 'pending', priority: { $exists: true } })).toBe(2);
    expect((await indexed.find()).items.map((document) => document.id)).toEqual(['b', 'c', 'd', 'e']);
    await store.close();
  });

  it('keeps array equality when another process stores an array in a field this one read as array-free', async () => {
    const path = join(directory, `${uniqueName('arrays')}.db`);
    const options = { indexes: [{ fields: ['tenantId', 'createdAt'] }] };
    const reader = createEmbeddedDocumentStore({ path });
    const writer = createEmbeddedDocumentStore({ path });
    const readerTasks = await reader.collection('tasks', options);
    const writerTasks = await writer.collection('tasks', options);
    for (let index = 0; index < 5; index += 1) {
      await readerTasks.insert({ id: `own-${index}`, tenantId: 'acme', createdAt: index });
    }
    const listing = {
      where: { tenantId: 'acme' },
      orderBy: { field: 'createdAt', direction: 'desc' },
      limit: 2,
    } as const;
    const first = await readerTasks.find(listing);
    expect(first.items.map((task) => task.id)).toEqual(['own-4', 'own-3']);

    await writerTasks.insert({ id: 'shared', tenantId: ['acme', 'globex'], createdAt: 2.5 });
    const rest = await collectPages((cursor) => readerTasks.find({ ...listing, cursor: cursor ?? first.nextCursor }));
    expect(rest.flat().map((task) => task.id)).toEqual(['shared', 'own-2', 'own-1', 'own-0']);
    expect(await readerTasks.count({ tenantId: 'globex' })).toBe(1);
    await writer.close();
    await reader.close();
  });
});
