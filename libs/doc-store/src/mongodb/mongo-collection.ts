import type { Document, MongoServerError, Collection as NativeCollection } from 'mongodb';
import {
  type Collection,
  DuplicateKeyError,
  type Filter,
  type FindOptions,
  InvalidQueryError,
  type Page,
  type StoredDocument,
} from '../document-store.js';
import { describeDuplicateKey, indexName, type NormalizedCollectionOptions } from '../query/collection-options.js';
import { decodeCursor } from '../query/cursor.js';
import { assertStorableDocument, changesTouchTtl, expiryOf, prepareChanges, splitId } from '../query/documents.js';
import { ID_FIELD } from '../query/field-names.js';
import { allOf, type Predicate, parseFilter } from '../query/filter.js';
import { readPath } from '../query/json-values.js';
import { keysetPredicate } from '../query/keyset.js';
import { clampLimit } from '../query/limit.js';
import { toPage } from '../query/page.js';
import { normalizeSort } from '../query/sort.js';
import { notExpiredPredicate } from '../query/ttl.js';
import type { DocumentLocks } from './document-locks.js';
import {
  duplicateNamesAnyIndex,
  duplicateNamesIndex,
  isDuplicateKeyError,
  translateMongoError,
} from './mongo-errors.js';
import { mongoField, toMongoQuery, toMongoSort } from './mongo-query.js';

/** The Date copy of the TTL field that a MongoDB TTL index watches (the port's field stays epoch ms). */
export const EXPIRY_DATE_FIELD = '_keelExpiresAt';

export type MongoStoredDocument = Document & { _id: string };

export interface MongoCollectionSettings {
  /** The redacted server address, for error messages. */
  where: string;
  /** Whether a TTL index on `EXPIRY_DATE_FIELD` exists, so writes keep the Date copy. */
  hasTtlIndex: boolean;
  /** Present when the server's findAndModify is not atomic: updateIf then runs under a lock. */
  locks?: DocumentLocks;
}

const MATCH_ALL: Predicate = { kind: 'and', predicates: [] };

function assertId(id: unknown, collection: string): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw new InvalidQueryError(`${collection}: id must be a non-empty string`);
}

export class MongoCollection<T extends StoredDocument> implements Collection<T> {
  constructor(
    private readonly native: NativeCollection<MongoStoredDocument>,
    readonly name: string,
    private readonly options: NormalizedCollectionOptions,
    private readonly settings: MongoCollectionSettings,
  ) {}

  async insert(document: T): Promise<void> {
    assertStorableDocument(document, this.name);
    const stored = this.toStored(document);
    await this.writeOnce(() => this.native.insertOne(stored), document.id, document, true);
  }

  async upsert(document: T): Promise<void> {
    assertStorableDocument(document, this.name);
    const stored = this.toStored(document);
    await this.writeOnce(
      () => this.native.replaceOne({ _id: stored._id }, stored, { upsert: true }),
      document.id,
      document,
      false,
    );
  }

  async upsertMany(documents: readonly T[]): Promise<void> {
    if (documents.length === 0) return;
    const stored = documents.map((document) => {
      assertStorableDocument(document, this.name);
      return this.toStored(document);
    });
    try {
      await this.run(() =>
        this.native.bulkWrite(
          stored.map((replacement) => ({
            replaceOne: { filter: { _id: replacement._id }, replacement, upsert: true },
          })),
          { ordered: true },
        ),
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // One at a time: an expired holder of a unique value is purged and the write retried, and a
      // real duplicate is named.
      for (const document of documents) await this.upsert(document);
    }
  }

  async get(id: string): Promise<T | null> {
    assertId(id, this.name);
    const query = toMongoQuery(allOf({ kind: 'eq', field: ID_FIELD, value: id }, this.visible()));
    const found = await this.run(() => this.native.findOne(query));
    return found === null ? null : this.fromStored(found);
  }

  async find(options: FindOptions = {}): Promise<Page<T>> {
    const sort = normalizeSort(options.orderBy);
    const limit = clampLimit(options.limit);
    const parts = [parseFilter(options.where), this.visible()];
    if (options.cursor !== undefined) parts.push(keysetPredicate(sort, decodeCursor(options.cursor, sort)));
    const query = toMongoQuery(allOf(...parts));
    const rows = await this.run(() =>
      this.native
        .find(query)
        .sort(toMongoSort(sort))
        .limit(limit + 1)
        .toArray(),
    );
    return toPage(
      rows.map((row) => this.fromStored(row)),
      limit,
      sort,
    );
  }

  async count(where?: Filter): Promise<number> {
    const query = toMongoQuery(allOf(parseFilter(where), this.visible()));
    return this.run(() => this.native.countDocuments(query));
  }

  async updateIf(id: string, condition: Filter, changes: Partial<T>): Promise<T | null> {
    assertId(id, this.name);
    const fields = prepareChanges(changes, this.name);
    const query = toMongoQuery(
      allOf({ kind: 'eq', field: ID_FIELD, value: id }, parseFilter(condition), this.visible()),
    );
    const set: Document = { ...fields };
    if (changesTouchTtl(fields, this.options.ttlField)) {
      const expiry = expiryOf(fields, this.options.ttlField, this.name);
      if (this.settings.hasTtlIndex) set[EXPIRY_DATE_FIELD] = expiry === null ? null : new Date(expiry);
    }
    const locks = this.settings.locks;
    if (locks !== undefined) return locks.withLock(`${this.name}/${id}`, () => this.checkThenSet(id, query, set));
    if (Object.keys(set).length === 0) {
      // An empty $set is rejected by some servers; with nothing to change, the matching read is the answer.
      const found = await this.run(() => this.native.findOne(query));
      return found === null ? null : this.fromStored(found);
    }
    const updated = await this.writeOnce(
      () => this.native.findOneAndUpdate(query, { $set: set }, { returnDocument: 'after' }),
      id,
      fields,
      false,
    );
    return updated === null ? null : this.fromStored(updated);
  }

  /**
   * updateIf for servers whose findAndModify is not atomic (FerretDB v1 reads, then writes the
   * whole document back): the caller holds this document's lock, so read-check-write is safe
   * against every other updateIf.
   */
  private async checkThenSet(id: string, query: Document, set: Document): Promise<T | null> {
    const found = await this.run(() => this.native.findOne(query));
    if (found === null) return null;
    const updated: MongoStoredDocument = { ...found, ...set };
    if (Object.keys(set).length > 0) {
      await this.writeOnce(
        () => this.native.updateOne({ _id: id }, { $set: set }),
        id,
        this.fromStored(updated),
        false,
      );
    }
    return this.fromStored(updated);
  }

  async delete(id: string): Promise<boolean> {
    assertId(id, this.name);
    // deleteOne's count is exact even on FerretDB v1 (its findAndModify is not atomic); an expired
    // document does not count and is left to the purge.
    const query = toMongoQuery(allOf({ kind: 'eq', field: ID_FIELD, value: id }, this.visible()));
    const result = await this.run(() => this.native.deleteOne(query));
    return result.deletedCount === 1;
  }

  async deleteMany(where: Filter): Promise<number> {
    const query = toMongoQuery(allOf(parseFilter(where), this.visible()));
    const result = await this.run(() => this.native.deleteMany(query));
    return result.deletedCount;
  }

  /** Deletes documents whose expiry has passed; returns how many. */
  async purgeExpired(now = Date.now()): Promise<number> {
    const ttlField = this.options.ttlField;
    if (ttlField === undefined) return 0;
    const result = await this.run(() => this.native.deleteMany({ [ttlField]: { $lte: now } }));
    return result.deletedCount;
  }

  private visible(): Predicate {
    const ttlField = this.options.ttlField;
    return ttlField === undefined ? MATCH_ALL : notExpiredPredicate(ttlField, Date.now());
  }

  private toStored(document: T): MongoStoredDocument {
    const { id, body } = splitId(document);
    const stored: MongoStoredDocument = { _id: id, ...body };
    const expiry = expiryOf(document, this.options.ttlField, this.name);
    if (expiry !== null && this.settings.hasTtlIndex) stored[EXPIRY_DATE_FIELD] = new Date(expiry);
    return stored;
  }

  private fromStored(stored: MongoStoredDocument): T {
    const { _id, [EXPIRY_DATE_FIELD]: _expiryDate, ...body } = stored;
    return { [ID_FIELD]: _id, ...body } as T;
  }

  private async run<R>(operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      throw translateMongoError(error, this.settings.where);
    }
  }

  /**
   * Runs a write that may hit a unique key. In a TTL collection the holder of the key may be an
   * expired document the purge has not reached yet: it is invisible, so it must not block the
   * write; purge and try once more before reporting a duplicate. `source` is the document as
   * written (for the error's key); `idMayClash` tells whether the id itself can be the duplicate.
   */
  private async writeOnce<R>(write: () => Promise<R>, id: string, source: unknown, idMayClash: boolean): Promise<R> {
    try {
      return await this.run(write);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (this.options.ttlField === undefined || (await this.purgeExpired()) === 0) {
        throw await this.duplicateKeyError(error, id, source, idMayClash);
      }
      try {
        return await this.run(write);
      } catch (retryError) {
        if (!isDuplicateKeyError(retryError)) throw retryError;
        throw await this.duplicateKeyError(retryError, id, source, idMayClash);
      }
    }
  }

  /**
   * Names the key a write collided on. MongoDB's error names the index; FerretDB v1's does not
   * ("E11000 duplicate key error collection: db.c"), so then the holder is looked up: the id
   * first (for inserts), then each unique index with the written values.
   */
  private async duplicateKeyError(
    error: MongoServerError,
    id: string,
    source: unknown,
    idMayClash: boolean,
  ): Promise<DuplicateKeyError> {
    const unique = this.options.indexes.filter((index) => index.unique);
    if (duplicateNamesAnyIndex(error)) {
      const index = unique.find((candidate) => duplicateNamesIndex(error, indexName(candidate)));
      return new DuplicateKeyError(this.name, describeDuplicateKey(index, id, source));
    }
    if (!idMayClash || (await this.run(() => this.native.findOne({ _id: id }, { projection: { _id: 1 } }))) === null) {
      for (const index of unique) {
        const holder: Document = { _id: { $ne: id } };
        for (const field of index.fields) {
          if (field !== ID_FIELD) holder[field] = { $eq: readPath(source, field) ?? null };
        }
        if ((await this.run(() => this.native.findOne(holder, { projection: { _id: 1 } }))) !== null) {
          return new DuplicateKeyError(this.name, describeDuplicateKey(index, id, source));
        }
      }
    }
    return new DuplicateKeyError(this.name, id);
  }
}

/** MongoDB's index key for declared fields (`id` is `_id`). */
export function mongoIndexKey(fields: string[]): Document {
  return Object.fromEntries(fields.map((field) => [mongoField(field), 1]));
}
