import type Database from 'better-sqlite3';
import {
  type Collection,
  DuplicateKeyError,
  type Filter,
  type FindOptions,
  InvalidQueryError,
  type Page,
  type StoredDocument,
} from '../document-store.js';
import { describeDuplicateKey, type NormalizedCollectionOptions } from '../query/collection-options.js';
import { decodeCursor } from '../query/cursor.js';
import { assertStorableDocument, expiryOf, prepareChanges, splitId } from '../query/documents.js';
import { ID_FIELD } from '../query/field-names.js';
import { type Predicate, parseFilter } from '../query/filter.js';
import { clampLimit } from '../query/limit.js';
import { toPage } from '../query/page.js';
import { normalizeSort } from '../query/sort.js';
import { readScalarFields } from './array-fields.js';
import {
  keysetSegments,
  NO_SCALAR_FIELDS,
  type Prepare,
  quoteIdentifier,
  type ScalarFields,
  type SqlFragment,
  selectPage,
  toSqlCondition,
} from './sqlite-query.js';
import { sqliteIndexName } from './sqlite-schema.js';

interface Row {
  id: string;
  doc: string;
}

const TRUE: SqlFragment = { sql: '1', params: [] };

function assertId(id: unknown, collection: string): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw new InvalidQueryError(`${collection}: id must be a non-empty string`);
}

function isUniqueViolation(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * One collection as one table: `id TEXT PRIMARY KEY`, `doc TEXT` (the JSON body without the id),
 * `expires_at INTEGER` (the TTL field's epoch ms, so expiry is an indexed column test).
 * better-sqlite3 is synchronous: every method runs to completion before another starts, and the
 * read-modify-write of `updateIf` runs in an IMMEDIATE transaction, so it is atomic against other
 * processes writing the same file too. Every filtered statement runs in the same transaction as
 * the read of the collection's array-field flags it was compiled from (`array-fields.ts`).
 */
export class SqliteCollection<T extends StoredDocument> implements Collection<T> {
  private readonly table: string;
  /**
   * The read-modify-write of `updateIf`, made into a transaction once: better-sqlite3 builds five
   * wrapper functions per `db.transaction`, a measurable share of a conditional update's cost.
   */
  private readonly claim: Database.Transaction<
    (select: string, id: string, params: unknown[], fields: Record<string, unknown>) => T | null
  >;

  constructor(
    private readonly db: Database.Database,
    private readonly prepare: Prepare,
    readonly name: string,
    private readonly options: NormalizedCollectionOptions,
  ) {
    this.table = quoteIdentifier(name);
    const update = `UPDATE ${this.table} SET doc = ?, expires_at = ? WHERE id = ?`;
    this.claim = db.transaction((select: string, id: string, params: unknown[], fields: Record<string, unknown>) => {
      const row = this.prepare(select).get(id, ...params) as Row | undefined;
      if (row === undefined) return null;
      const updated = { ...this.fromRow(row), ...fields } as T;
      const { doc, expiresAt } = this.toRow(updated);
      this.prepare(update).run(doc, expiresAt, id);
      return updated;
    });
  }

  async insert(document: T): Promise<void> {
    const { id, doc, expiresAt } = this.toRow(document);
    const sql = `INSERT INTO ${this.table} (id, doc, expires_at) VALUES (?, ?, ?)`;
    this.writeOnce(() => this.prepare(sql).run(id, doc, expiresAt), id, document);
  }

  async upsert(document: T): Promise<void> {
    const { id, doc, expiresAt } = this.toRow(document);
    const sql =
      `INSERT INTO ${this.table} (id, doc, expires_at) VALUES (?, ?, ?) ` +
      'ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, expires_at = excluded.expires_at';
    this.writeOnce(() => this.prepare(sql).run(id, doc, expiresAt), id, document);
  }

  async upsertMany(documents: readonly T[]): Promise<void> {
    if (documents.length === 0) return;
    const rows = documents.map((document) => this.toRow(document));
    const sql =
      `INSERT INTO ${this.table} (id, doc, expires_at) VALUES (?, ?, ?) ` +
      'ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, expires_at = excluded.expires_at';
    const write = this.db.transaction(() => {
      const statement = this.prepare(sql);
      for (const { id, doc, expiresAt } of rows) statement.run(id, doc, expiresAt);
    });
    try {
      write.immediate();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The transaction rolled back: one at a time, an expired holder of a unique value is purged
      // and the write retried, and a real duplicate is named.
      for (const document of documents) await this.upsert(document);
    }
  }

  async get(id: string): Promise<T | null> {
    assertId(id, this.name);
    const visible = this.visible();
    const sql = `SELECT id, doc FROM ${this.table} WHERE id = ? AND ${visible.sql}`;
    const row = this.prepare(sql).get(id, ...visible.params) as Row | undefined;
    return row === undefined ? null : this.fromRow(row);
  }

  async find(options: FindOptions = {}): Promise<Page<T>> {
    const sort = normalizeSort(options.orderBy);
    const limit = clampLimit(options.limit);
    const predicate = parseFilter(options.where);
    const segments = options.cursor === undefined ? [TRUE] : keysetSegments(sort, decodeCursor(options.cursor, sort));
    const read = this.db.transaction((): Row[] => {
      const filter = this.condition(predicate, this.scalarFields());
      const rows: Row[] = [];
      for (const segment of segments) {
        const wanted = limit + 1 - rows.length;
        if (wanted <= 0) break;
        const page = selectPage(this.table, [filter, segment], sort, wanted);
        rows.push(...(this.prepare(page.sql).all(...page.params) as Row[]));
      }
      return rows;
    });
    return toPage(
      read().map((row) => this.fromRow(row)),
      limit,
      sort,
    );
  }

  async count(where?: Filter): Promise<number> {
    const predicate = parseFilter(where);
    const read = this.db.transaction((): number => {
      const condition = this.condition(predicate, this.scalarFields());
      const sql = `SELECT count(*) AS n FROM ${this.table} WHERE ${condition.sql}`;
      return (this.prepare(sql).get(...condition.params) as { n: number }).n;
    });
    return read();
  }

  async updateIf(id: string, condition: Filter, changes: Partial<T>): Promise<T | null> {
    assertId(id, this.name);
    const fields = prepareChanges(changes, this.name);
    // One row by primary key: the array branches cost nothing there, so no flags are read.
    const match = this.condition(parseFilter(condition), NO_SCALAR_FIELDS);
    const select = `SELECT id, doc FROM ${this.table} WHERE id = ? AND ${match.sql}`;
    return this.writeOnce(() => this.claim.immediate(select, id, match.params, fields), id, fields);
  }

  async delete(id: string): Promise<boolean> {
    assertId(id, this.name);
    // Removes the row even if it already expired (the purge would anyway); reports only a visible one.
    const sql = `DELETE FROM ${this.table} WHERE id = ? RETURNING expires_at`;
    const removed = this.prepare(sql).get(id) as { expires_at: number | null } | undefined;
    return removed !== undefined && (removed.expires_at === null || removed.expires_at > Date.now());
  }

  async deleteMany(where: Filter): Promise<number> {
    const predicate = parseFilter(where);
    // IMMEDIATE: the flags are read under the write lock, so no writer commits between them and the delete.
    const remove = this.db.transaction((): number => {
      const condition = this.condition(predicate, this.scalarFields());
      return this.prepare(`DELETE FROM ${this.table} WHERE ${condition.sql}`).run(...condition.params).changes;
    });
    return remove.immediate();
  }

  /** Deletes rows whose expiry has passed; returns how many. */
  purgeExpired(now = Date.now()): number {
    if (this.options.ttlField === undefined) return 0;
    return this.prepare(`DELETE FROM ${this.table} WHERE expires_at <= ?`).run(now).changes;
  }

  /**
   * The fields no row of this collection holds an array in, from `array-fields.ts`. Read them
   * inside the transaction that runs the statement compiled from them, so both see one snapshot.
   */
  private scalarFields(): ScalarFields {
    return readScalarFields(this.prepare, this.name);
  }

  /** The caller's filter, restricted to documents that have not expired. */
  private condition(predicate: Predicate, scalarFields: ScalarFields): SqlFragment {
    const filter = toSqlCondition(predicate, scalarFields);
    const visible = this.visible();
    return { sql: `${filter.sql} AND ${visible.sql}`, params: [...filter.params, ...visible.params] };
  }

  private visible(): SqlFragment {
    if (this.options.ttlField === undefined) return TRUE;
    return { sql: '(expires_at IS NULL OR expires_at > ?)', params: [Date.now()] };
  }

  private toRow(document: unknown): { id: string; doc: string; expiresAt: number | null } {
    assertStorableDocument(document, this.name);
    const { id, body } = splitId(document);
    return { id, doc: JSON.stringify(body), expiresAt: expiryOf(document, this.options.ttlField, this.name) };
  }

  private fromRow(row: Row): T {
    return { [ID_FIELD]: row.id, ...JSON.parse(row.doc) } as T;
  }

  /**
   * Runs a write that may hit a unique key. In a TTL collection the holder of the key may be an
   * expired row the purge has not reached yet: it is invisible, so it must not block the write;
   * purge and try once more before reporting a duplicate.
   */
  private writeOnce<R>(write: () => R, id: string, source: unknown): R {
    try {
      return write();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (this.purgeExpired() === 0) throw this.duplicateKeyError(error, id, source);
      try {
        return write();
      } catch (retryError) {
        throw isUniqueViolation(retryError) ? this.duplicateKeyError(retryError, id, source) : retryError;
      }
    }
  }

  private duplicateKeyError(error: Error & { code: string }, id: string, source: unknown): DuplicateKeyError {
    // "UNIQUE constraint failed: index 'jobs__tenantId__key__unique'"; the primary key names no index.
    const name = /index '([^']+)'/.exec(error.message)?.[1];
    const index = this.options.indexes.find((spec) => sqliteIndexName(this.name, spec) === name);
    return new DuplicateKeyError(this.name, describeDuplicateKey(index, id, source));
  }
}
