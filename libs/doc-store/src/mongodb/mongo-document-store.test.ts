import { createServer } from 'node:net';
import { describeWithInfra, findMongo, uniqueName, waitFor } from '@keel/testing';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDocumentStoreContract } from '../testing/index.js';
import { startTcpProxy } from '../testing/tcp-proxy.js';
import { createDocumentLocks, type LockDocument } from './document-locks.js';
import { createMongoDocumentStore, redactMongoUrl } from './index.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

const testDatabase = () => uniqueName('keel_doc_store').replace(/-/g, '_');

describe('redactMongoUrl', () => {
  it('keeps scheme and hosts, drops credentials, database and options', () => {
    expect(redactMongoUrl('mongodb://user:p%40ss@db1:27017,db2:27018/keel?authSource=admin')).toBe(
      'mongodb://db1:27017,db2:27018',
    );
    expect(redactMongoUrl('mongodb+srv://u:p@cluster0.example.net/?retryWrites=true')).toBe(
      'mongodb+srv://cluster0.example.net',
    );
    expect(redactMongoUrl('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017');
    expect(redactMongoUrl('postgres://x')).toBe('<invalid MongoDB URL>');
  });
});

describe('createMongoDocumentStore without a server', () => {
  it('fails fast, naming the address but not the credentials', async () => {
    const port = await closedPort();
    const url = `mongodb://keel:s3cret@127.0.0.1:${port}/keel?authSource=admin`;
    const started = Date.now();
    const error = await createMongoDocumentStore({ url, database: 'keel', serverSelectionTimeoutMs: 500 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'STORE.UNAVAILABLE', retryable: true });
    expect((error as Error).message).toMatch(
      new RegExp(`^cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:${port}: `),
    );
    expect((error as Error).message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects an invalid URL or database name without echoing credentials', async () => {
    await expect(createMongoDocumentStore({ url: 'http://u:secret@x', database: 'keel' })).rejects.toThrow(
      /^invalid MongoDB URL <invalid MongoDB URL>/,
    );
    await expect(createMongoDocumentStore({ url: 'mongodb://127.0.0.1', database: 'a/b' })).rejects.toMatchObject({
      code: 'STORE.INVALID_QUERY',
    });
  });
});

describeWithInfra('mongodb document store', await findMongo(), (endpoint) => {
  const databases: string[] = [];
  let raw: MongoClient;

  beforeAll(async () => {
    raw = new MongoClient(endpoint.url, { serverSelectionTimeoutMS: 5000 });
    await raw.connect();
  });

  afterAll(async () => {
    for (const database of databases) await raw.db(database).dropDatabase();
    await raw.close();
  });

  const openStore = (options: { purgeIntervalMs?: number; serverSelectionTimeoutMs?: number; url?: string } = {}) => {
    const database = testDatabase();
    databases.push(database);
    return createMongoDocumentStore({ url: endpoint.url, database, ...options }).then((store) => ({ store, database }));
  };

  describeDocumentStoreContract(`MongoDB protocol (${endpoint.source})`, async () => (await openStore()).store);

  describe('MongoDB adapter', () => {
    it('stores the id as _id, and returns it as id', async () => {
      const { store, database } = await openStore();
      const notes = await store.collection('notes');
      await notes.insert({ id: 'n1', title: 'hello' });
      expect(await raw.db(database).collection('notes').findOne({})).toEqual({ _id: 'n1', title: 'hello' });
      expect(await notes.get('n1')).toEqual({ id: 'n1', title: 'hello' });
      await store.close();
    });

    it('creates declared indexes once, under stable names', async () => {
      const { store, database } = await openStore();
      const options = { indexes: [{ fields: ['tenantId', 'slug'], unique: true }, { fields: ['status'] }] };
      await store.collection('pages', options);
      await store.collection('pages', options);
      const indexes = await raw.db(database).collection('pages').listIndexes().toArray();
      const byName = new Map(indexes.map((index) => [index.name as string, index]));
      expect(byName.get('tenantId__slug__unique')).toMatchObject({ key: { tenantId: 1, slug: 1 }, unique: true });
      expect(byName.get('status')).toMatchObject({ key: { status: 1 } });
      await store.close();
    });

    it('purges expired documents in the background; a TTL index, where the server has one, watches a Date copy', async () => {
      const { store, database } = await openStore({ purgeIntervalMs: 100 });
      const sessions = await store.collection('sessions', { ttlField: 'expiresAt' });
      const native = raw.db(database).collection('sessions');
      await sessions.insert({ id: 'gone', expiresAt: Date.now() - 1 });
      await sessions.insert({ id: 'kept', expiresAt: Date.now() + 60_000 });
      await waitFor('the purge to delete the expired document', async () => (await native.countDocuments()) === 1, {
        timeoutMs: 5000,
      });
      expect(await sessions.get('kept')).toEqual({ id: 'kept', expiresAt: expect.any(Number) });
      const ttlIndex = (await native.listIndexes().toArray()).find((index) => index.name === '_keelExpiresAt__ttl');
      const stored = await native.findOne({ _id: 'kept' as never });
      if (ttlIndex) {
        expect(ttlIndex).toMatchObject({ key: { _keelExpiresAt: 1 }, expireAfterSeconds: 0 });
        expect(stored?._keelExpiresAt).toBeInstanceOf(Date);
      } else {
        expect(stored).not.toHaveProperty('_keelExpiresAt');
      }
      await store.close();
    });

    it("document locks: one holder at a time, a dead holder's lock is broken after its lease", async () => {
      const database = testDatabase();
      databases.push(database);
      const lockCollection = raw.db(database).collection<LockDocument>('_keel_locks');
      const locks = createDocumentLocks(lockCollection, 'test', { leaseMs: 5_000, waitMs: 2_000 });
      let inside = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 6 }, () =>
          locks.withLock('jobs/1', async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 10));
            inside -= 1;
          }),
        ),
      );
      expect(most).toBe(1);
      expect(await lockCollection.countDocuments()).toBe(0);

      await lockCollection.insertOne({ _id: 'jobs/2', owner: 'crashed', expiresAt: Date.now() - 1 });
      expect(await locks.withLock('jobs/2', async () => 'taken over')).toBe('taken over');

      await lockCollection.insertOne({ _id: 'jobs/3', owner: 'alive', expiresAt: Date.now() + 60_000 });
      const impatient = createDocumentLocks(lockCollection, 'test', { waitMs: 200 });
      await expect(impatient.withLock('jobs/3', async () => 'never')).rejects.toMatchObject({
        code: 'STORE.UNAVAILABLE',
      });
    });

    // The proxy stands in for one server; a replica set would lead the driver around it.
    const single = /^mongodb:\/\/(?:[^@/?#]*@)?([^/?#,:]+):(\d+)(?:[/?#]|$)/.exec(endpoint.url);

    it.skipIf(!single)(
      'reports an outage in health and recovers when the server returns',
      async () => {
        const [, host, port] = single as RegExpExecArray;
        const proxy = await startTcpProxy({ host: host as string, port: Number(port) });
        const proxied = new URL(endpoint.url.replace(`${host}:${port}`, `127.0.0.1:${proxy.port}`));
        proxied.searchParams.set('directConnection', 'true');
        const viaProxy = proxied.toString();
        const { store } = await openStore({ url: viaProxy, serverSelectionTimeoutMs: 1000 });
        try {
          const notes = await store.collection('notes');
          await notes.insert({ id: 'n1' });
          expect(await store.health()).toMatchObject({ ok: true });

          await proxy.cut();
          await waitFor('health to report the outage', async () => !(await store.health()).ok, { timeoutMs: 10_000 });
          const health = await store.health();
          expect(health.detail).toContain(`cannot reach MongoDB at mongodb://127.0.0.1:${proxy.port}`);
          await expect(notes.get('n1')).rejects.toMatchObject({ code: 'STORE.UNAVAILABLE', retryable: true });

          await proxy.restore();
          await waitFor('health to recover', async () => (await store.health()).ok, { timeoutMs: 20_000 });
          expect(await notes.get('n1')).toEqual({ id: 'n1' });
        } finally {
          await store.close();
          await proxy.close();
        }
      },
      40_000,
    );
  });
});
