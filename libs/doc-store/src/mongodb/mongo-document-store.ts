import { type Db, MongoClient, MongoServerError } from 'mongodb';
import {
  type Collection,
  type CollectionOptions,
  type DocumentStore,
  InvalidQueryError,
  type StoredDocument,
  StoreUnavailableError,
} from '../document-store.js';
import { indexName, normalizeCollectionOptions } from '../query/collection-options.js';
import { DEFAULT_PURGE_INTERVAL_MS, type PurgeLoop, startPurgeLoop } from '../query/ttl.js';
import { createDocumentLocks, type DocumentLocks, type LockDocument } from './document-locks.js';
import { EXPIRY_DATE_FIELD, MongoCollection, type MongoStoredDocument, mongoIndexKey } from './mongo-collection.js';
import { isUnavailableError, translateMongoError } from './mongo-errors.js';
import { redactMongoUrl } from './mongo-url.js';

export interface MongoDocumentStoreOptions {
  /** A MongoDB connection string (MongoDB, or FerretDB speaking its wire protocol). */
  url: string;
  database: string;
  /** How long an operation waits for a reachable server before failing; default 3000 ms. */
  serverSelectionTimeoutMs?: number;
  /** The bound on one `health()` ping; default 1500 ms, under a 2 s readiness budget. */
  healthTimeoutMs?: number;
  /** How often expired documents are deleted; default 60 s. Reads hide them in between. */
  purgeIntervalMs?: number;
  /** Failures of the background purge (by default ignored: `health()` reports connectivity). */
  onBackgroundError?: (error: unknown) => void;
}

const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;
/** Collection names of the port start with a letter, so this one never clashes. */
const LOCK_COLLECTION = '_keel_locks';
const TTL_INDEX_NAME = `${EXPIRY_DATE_FIELD}__ttl`;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects to MongoDB (or FerretDB) and returns a DocumentStore. Fails with a
 * `StoreUnavailableError` naming the server (never its credentials) when it cannot be reached
 * within `serverSelectionTimeoutMs`. Once started, the driver reconnects by itself when the server
 * comes back; `health()` pings each time, so readiness follows the server both ways.
 */
export async function createMongoDocumentStore(options: MongoDocumentStoreOptions): Promise<DocumentStore> {
  const where = redactMongoUrl(options.url);
  if (!DATABASE_NAME.test(options.database)) {
    throw new InvalidQueryError(`invalid MongoDB database name ${JSON.stringify(options.database)}`);
  }
  let client: MongoClient;
  try {
    client = new MongoClient(options.url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 3000,
      // Undefined properties are dropped, as JSON does in the embedded store, instead of stored as null.
      ignoreUndefined: true,
      appName: 'keel',
    });
  } catch (error) {
    throw new InvalidQueryError(`invalid MongoDB URL ${where}: ${messageOf(error)}`, { cause: error });
  }
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new StoreUnavailableError(`cannot reach MongoDB at ${where}: ${messageOf(error)}`, { cause: error });
  }
  const db = client.db(options.database);
  const locks = (await hasAtomicFindAndModify(client, where))
    ? undefined
    : createDocumentLocks(db.collection<LockDocument>(LOCK_COLLECTION), where);
  return new MongoDocumentStore(client, db, where, options, locks);
}

/**
 * Whether findAndModify is atomic on this server. MongoDB's is. FerretDB v1 (SQLite or Postgres
 * backend) reads the document, applies the update in its own process and writes it back with no
 * condition: measured here with 3 concurrent findOneAndUpdate({ _id, status: 'pending' }), 19 of
 * 20 rounds had more than one winner. FerretDB announces itself in buildInfo (`ferretdbVersion`).
 */
async function hasAtomicFindAndModify(client: MongoClient, where: string): Promise<boolean> {
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const ferretdb = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
    return ferretdb === undefined || !/^v?1\./.test(ferretdb);
  } catch (error) {
    throw translateMongoError(error, where);
  }
}

class MongoDocumentStore implements DocumentStore {
  private readonly ttlCollections = new Map<string, MongoCollection<StoredDocument>>();
  private readonly purgeLoop: PurgeLoop;
  private closed = false;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly where: string,
    private readonly options: MongoDocumentStoreOptions,
    private readonly locks: DocumentLocks | undefined,
  ) {
    this.purgeLoop = startPurgeLoop(
      options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS,
      () => this.purgeExpired(),
      options.onBackgroundError ?? (() => undefined),
    );
  }

  async collection<T extends StoredDocument>(name: string, options?: CollectionOptions): Promise<Collection<T>> {
    if (this.closed) throw new InvalidQueryError('the document store is closed');
    const normalized = normalizeCollectionOptions(name, options);
    const native = this.db.collection<MongoStoredDocument>(name);
    try {
      // One index per command: FerretDB v1 drops the connection (a server panic) when a single
      // createIndexes names two or more indexes that all exist already.
      for (const index of normalized.indexes) {
        await native.createIndex(mongoIndexKey(index.fields), {
          name: indexName(index),
          ...(index.unique ? { unique: true } : {}),
        });
      }
    } catch (error) {
      throw translateMongoError(error, this.where);
    }
    const hasTtlIndex = normalized.ttlField !== undefined && (await this.ensureTtlIndex(name));
    const collection = new MongoCollection<T>(native, name, normalized, {
      where: this.where,
      hasTtlIndex,
      ...(this.locks ? { locks: this.locks } : {}),
    });
    if (normalized.ttlField !== undefined) {
      this.ttlCollections.set(name, collection as unknown as MongoCollection<StoredDocument>);
    }
    return collection;
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.closed) return { ok: false, detail: `MongoDB store for ${this.where} is closed` };
    const timeoutMs = this.options.healthTimeoutMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ping within ${timeoutMs} ms`)), timeoutMs);
    });
    const ping = this.db.command({ ping: 1 });
    ping.catch(() => undefined); // may settle after the timeout won
    try {
      await Promise.race([ping, timeout]);
      return { ok: true, detail: `MongoDB at ${this.where} answers` };
    } catch (error) {
      return { ok: false, detail: `cannot reach MongoDB at ${this.where}: ${messageOf(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.purgeLoop.stop();
    await this.client.close();
  }

  /**
   * Asks the server for a TTL index on the Date copy of the expiry. FerretDB v1 (and any server
   * that refuses) answers with a server error: then the periodic purge alone deletes expired
   * documents, and the Date copy is not written. Reads filter expired documents either way.
   */
  private async ensureTtlIndex(name: string): Promise<boolean> {
    try {
      await this.db
        .collection(name)
        .createIndex({ [EXPIRY_DATE_FIELD]: 1 }, { name: TTL_INDEX_NAME, expireAfterSeconds: 0 });
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && !isUnavailableError(error)) return false;
      throw translateMongoError(error, this.where);
    }
  }

  private async purgeExpired(): Promise<void> {
    const now = Date.now();
    for (const collection of this.ttlCollections.values()) {
      if (this.closed) return;
      await collection.purgeExpired(now);
    }
  }
}
