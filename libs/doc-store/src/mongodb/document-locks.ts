import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { StoreUnavailableError } from '../document-store.js';
import { isDuplicateKeyError, translateMongoError } from './mongo-errors.js';

export interface LockDocument {
  _id: string;
  owner: string;
  /** Epoch ms after which a waiter may break the lock (its holder crashed mid-update). */
  expiresAt: number;
}

/** Mutual exclusion per document, for servers whose findAndModify is not atomic. */
export interface DocumentLocks {
  withLock<R>(key: string, body: () => Promise<R>): Promise<R>;
}

export interface DocumentLockOptions {
  /** How long a held lock stays valid; it only has to outlive one read and one write. Default 15 s. */
  leaseMs?: number;
  /** How long to wait for a held lock before giving up. Default 10 s. */
  waitMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Locks made of documents in one collection: inserting `{ _id: key }` is the one write FerretDB v1
 * performs atomically (a primary-key violation on its SQLite table), so exactly one contender
 * holds a key at a time. A holder that dies leaves its lock until `expiresAt`; then the next waiter
 * deletes it. Known limit: two waiters breaking the same expired lock at the same instant can,
 * on FerretDB v1, each believe it holds the fresh lock (its deletes re-select by id only); this
 * needs a crashed holder and a race within milliseconds.
 */
export function createDocumentLocks(
  locks: Collection<LockDocument>,
  where: string,
  options: DocumentLockOptions = {},
): DocumentLocks {
  const leaseMs = options.leaseMs ?? 15_000;
  const waitMs = options.waitMs ?? 10_000;

  const acquire = async (key: string, owner: string): Promise<void> => {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await locks.insertOne({ _id: key, owner, expiresAt: Date.now() + leaseMs });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw translateMongoError(error, where);
      }
      try {
        await locks.deleteOne({ _id: key, expiresAt: { $lte: Date.now() } });
      } catch (error) {
        throw translateMongoError(error, where);
      }
      if (Date.now() > deadline) {
        throw new StoreUnavailableError(
          `timed out after ${waitMs} ms waiting for the lock on ${key} (MongoDB at ${where})`,
        );
      }
      // Jittered backoff, so contenders do not retry in lockstep.
      await sleep(Math.min(2 ** attempt, 32) * (1 + Math.random()));
    }
  };

  return {
    async withLock<R>(key: string, body: () => Promise<R>): Promise<R> {
      const owner = randomUUID();
      await acquire(key, owner);
      try {
        return await body();
      } finally {
        // A failed release is not the caller's failure: the lock expires after leaseMs.
        await locks.deleteOne({ _id: key, owner }).catch(() => undefined);
      }
    },
  };
}
