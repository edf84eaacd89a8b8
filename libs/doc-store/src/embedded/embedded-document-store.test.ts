import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@keel/testing';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
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
