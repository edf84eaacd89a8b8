import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Filter, IndexSpec, Sort, StoredDocument } from '../document-store.js';
import { normalizeCollectionOptions } from '../query/collection-options.js';
import { collectPages } from '../testing/contract-helpers.js';
import { SqliteCollection } from './sqlite-collection.js';
import type { Prepare, SqlFragment } from './sqlite-query.js';
import { createCollectionSchema } from './sqlite-schema.js';

interface Task extends StoredDocument {
  tenantId: string | string[];
  status: string;
  createdAt?: number;
  tags: string[];
}

const TENANTS = 4;
const PER_TENANT = 600;
const NEWEST_FIRST: Sort = { field: 'createdAt', direction: 'desc' };

/** Tasks across tenants; createdAt repeats (ties broken by id) and a few tasks have none (last when descending). */
function makeTasks(): Task[] {
  return Array.from({ length: TENANTS * PER_TENANT }, (_, n) => ({
    id: `task-${String(n).padStart(5, '0')}`,
    tenantId: `tenant-${n % TENANTS}`,
    status: n % 5 === 0 ? 'done' : 'pending',
    ...(n % 97 === 0 ? {} : { createdAt: 1_700_000_000_000 + Math.floor(n / 8) * 1000 }),
    tags: [`tag-${n % 3}`],
  }));
}

/** What the port promises for `find({ where: { tenantId, status }, orderBy: createdAt desc })`. */
function expectedListing(tasks: Task[], tenantId: string, status: string): string[] {
  const matches = tasks.filter(
    (task) =>
      (task.tenantId === tenantId || (Array.isArray(task.tenantId) && task.tenantId.includes(tenantId))) &&
      task.status === status,
  );
  const key = (task: Task) => task.createdAt ?? Number.NEGATIVE_INFINITY;
  return matches.sort((x, y) => key(y) - key(x) || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)).map((task) => task.id);
}

interface Fixture {
  db: Database.Database;
  tasks: SqliteCollection<Task>;
  /** Every row-returning statement the collection ran, with its bound values, since the last reset. */
  reads: SqlFragment[];
}

const open: Database.Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/**
 * A collection on the adapter's real schema whose statements are recorded as they run, so the
 * plans checked below are those of the SQL `find` actually executes.
 */
async function fixture(indexes: IndexSpec[], documents: Task[]): Promise<Fixture> {
  const db = new Database(':memory:');
  open.push(db);
  const options = normalizeCollectionOptions('tasks', { indexes });
  createCollectionSchema(db, 'tasks', options);
  const reads: SqlFragment[] = [];
  const prepare: Prepare = (sql) => {
    const statement = db.prepare(sql);
    const all = (...params: unknown[]) => {
      if (sql.startsWith('SELECT id, doc')) reads.push({ sql, params });
      return statement.all(...params);
    };
    // The collection only runs statements (all, get, run); the rest of the API is not needed here.
    return {
      all,
      get: statement.get.bind(statement),
      run: statement.run.bind(statement),
    } as unknown as Database.Statement;
  };
  const tasks = new SqliteCollection<Task>(db, prepare, 'tasks', options);
  for (const document of documents) await tasks.insert(document);
  reads.length = 0;
  return { db, tasks, reads };
}

/**
 * Descending, tasks without a createdAt come last, read by their own statement (the cursor's NULL
 * segment): it seeks to exactly those rows and orders them by id, a sort bounded by how many lack
 * the field, not by the tenant.
 */
const NULL_SEGMENT = "json_extract(doc, '$.createdAt') IS NULL";

/** Checks every statement of a listing: none sorts the tenant's matches or merges OR branches. */
function expectOrderedReads(db: Database.Database, statements: SqlFragment[], index: string, equalities: number) {
  const seek = Array.from({ length: equalities }, () => '<expr>=\\?').join(' AND ');
  for (const statement of statements) {
    const detail = plan(db, statement);
    expect(detail).not.toMatch(/MULTI-INDEX OR/);
    if (statement.sql.includes(NULL_SEGMENT)) {
      expect(detail).toMatch(new RegExp(`SEARCH tasks USING INDEX ${index} \\(${seek} AND <expr>=\\?\\)`));
    } else {
      // Only rows tied on createdAt are ordered by id ("LAST TERM OF ORDER BY"), never the whole match set.
      expect(detail).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      expect(detail).toMatch(new RegExp(`SEARCH tasks USING INDEX ${index} \\(${seek}( AND <expr><\\?)?\\)`));
    }
    // Each statement asks for at most a page and one row more.
    expect(statement.params.at(-1)).toBeLessThanOrEqual(51);
  }
}

function plan(db: Database.Database, statement: SqlFragment): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[];
  return rows.map((row) => row.detail).join('\n');
}

/** Pages through a listing, 50 at a time, and returns every page's statements with the ids read. */
async function list({ tasks, reads }: Fixture, where: Filter): Promise<{ ids: string[]; statements: SqlFragment[] }> {
  reads.length = 0;
  const pages = await collectPages((cursor) => tasks.find({ where, orderBy: NEWEST_FIRST, limit: 50, cursor }));
  return { ids: pages.flat().map((task) => task.id), statements: [...reads] };
}

describe('a newest-first listing reads its index in order', () => {
  const documents = makeTasks();
  const where = { tenantId: 'tenant-1', status: 'pending' };

  it('seeks (tenantId, createdAt) to the cursor and reads it in order, with no sort of the tenant', async () => {
    const store = await fixture([{ fields: ['tenantId', 'createdAt'] }], documents);
    const { ids, statements } = await list(store, where);
    expect(ids).toEqual(expectedListing(documents, 'tenant-1', 'pending'));

    const [firstPage, cursorPage] = statements;
    expect(plan(store.db, firstPage as SqlFragment)).toMatch(
      /SEARCH tasks USING INDEX tasks__tenantId__createdAt \(<expr>=\?\)/,
    );
    expect(plan(store.db, cursorPage as SqlFragment)).toMatch(
      /SEARCH tasks USING INDEX tasks__tenantId__createdAt \(<expr>=\? AND <expr><\?\)/,
    );
    expectOrderedReads(store.db, statements, 'tasks__tenantId__createdAt', 1);
    expect(statements.some((statement) => statement.sql.includes(NULL_SEGMENT))).toBe(true);
  });

  it('seeks both equalities and the cursor with (tenantId, status, createdAt)', async () => {
    const store = await fixture([{ fields: ['tenantId'] }, { fields: ['tenantId', 'status', 'createdAt'] }], documents);
    const { ids, statements } = await list(store, where);
    expect(ids).toEqual(expectedListing(documents, 'tenant-1', 'pending'));
    expect(plan(store.db, statements[1] as SqlFragment)).toMatch(
      /SEARCH tasks USING INDEX tasks__tenantId__status__createdAt \(<expr>=\? AND <expr>=\? AND <expr><\?\)/,
    );
    expectOrderedReads(store.db, statements, 'tasks__tenantId__status__createdAt', 2);
    for (const statement of statements) expect(statement.sql).not.toMatch(/json_each/);
  });

  it('keeps the array test of a field that holds arrays, and binds every value', async () => {
    const store = await fixture([{ fields: ['tenantId', 'createdAt'] }, { fields: ['tags'] }], documents.slice(0, 200));
    const { statements } = await list(store, { tenantId: "tenant-1' OR '1'='1", tags: 'tag-1' });
    const [statement] = statements;
    expect(statement?.sql).not.toMatch(/tenant-1|tag-1/);
    expect(statement?.params).toEqual(expect.arrayContaining(["tenant-1' OR '1'='1", 'tag-1']));
    // tenantId never held an array: a plain comparison. tags does: the element test stays.
    expect(statement?.sql).toMatch(/json_each\(doc, '\$\.tags'\)/);
    expect(statement?.sql).not.toMatch(/json_each\(doc, '\$\.tenantId'\)/);
  });

  it('returns a document that holds the tenant in an array as soon as one is stored', async () => {
    const store = await fixture([{ fields: ['tenantId', 'createdAt'] }], documents);
    const shared: Task = {
      id: 'shared',
      tenantId: ['tenant-0', 'tenant-1'],
      status: 'pending',
      createdAt: 1_700_000_000_000 + 100_000,
      tags: [],
    };
    await store.tasks.insert(shared);
    const { ids, statements } = await list(store, where);
    expect(ids).toEqual(expectedListing([...documents, shared], 'tenant-1', 'pending'));
    expect(ids).toContain('shared');
    expect(statements[0]?.sql).toMatch(/json_each\(doc, '\$\.tenantId'\)/);
  });
});
