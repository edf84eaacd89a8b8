/**
 * The embedded DocumentStore (SQLite through better-sqlite3) against raw better-sqlite3 with the
 * same table shape, the same expression index and prepared statements: the baseline shows what
 * the port's validation, MongoDB-compatible filter semantics and cursor encoding cost. The
 * MongoDB adapter runs the same operations against FerretDB when one is found.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore, StoredDocument } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { findMongo } from '@keel/testing';
import Database from 'better-sqlite3';
import { MongoClient, type Sort } from 'mongodb';
import {
  type Benchmark,
  type BenchmarkReport,
  integerSetting,
  latencyRow,
  memoryRow,
  memorySnapshot,
  pick,
  type Row,
  seededRandom,
  skippedRow,
  summarize,
  timeEach,
} from './harness.js';

const settings = {
  documents: integerSetting('BENCH_DOCS', 20_000),
  /**
   * FerretDB v1 is a network server over its own SQLite and scans where the driver's filter is not
   * pushed down: fewer documents, and gets and claims on a sample of them, keep the run short.
   */
  mongoDocuments: integerSetting('BENCH_MONGO_DOCS', 1_000),
  mongoOperations: integerSetting('BENCH_MONGO_OPS', 300),
  tenants: 10,
  pageSize: 50,
  warmup: 50,
  seed: 42,
};

interface TaskDocument extends StoredDocument {
  tenantId: string;
  status: 'pending' | 'claimed';
  title: string;
  body: string;
  tags: string[];
  createdAt: number;
  claimedBy?: string;
  claimedAt?: number;
}

/** The operations measured; each subject implements them its own way. */
interface Subject {
  insert(document: TaskDocument): Promise<void> | void;
  get(id: string): Promise<TaskDocument | null> | TaskDocument | null;
  /** One page of a tenant's documents in `order`, after `cursor`. */
  page(order: PageOrder, tenantId: string, cursor: string | undefined): Promise<Page> | Page;
  /** Sets status 'claimed' if it is still 'pending'; returns whether this call won. */
  claim(id: string, owner: string): Promise<boolean> | boolean;
  close(): Promise<void> | void;
}

/**
 * `id`: the default order, with an index on tenantId. `newest`: createdAt descending with an index
 * on (tenantId, createdAt), the shape of the services' own lists (reviews, evaluations, audits).
 */
type PageOrder = 'id' | 'newest';
const pageOrders: Record<PageOrder, string> = {
  id: 'find by tenant, id order, index (tenantId)',
  newest: 'find by tenant, newest first, index (tenantId, createdAt)',
};

interface Page {
  count: number;
  next?: string;
}

export const docStoreBenchmark: Benchmark = {
  name: 'doc-store',
  description: 'embedded SQLite DocumentStore vs raw better-sqlite3; MongoDB adapter vs raw driver on FerretDB',
  run: async () => {
    const report: BenchmarkReport = { config: { ...settings }, tables: [], notes: [] };
    const rows: Row[] = [];
    const memory: Row[] = [];
    const directory = await mkdtemp(join(tmpdir(), 'keel-bench-docs-'));
    try {
      const embeddedPath = join(directory, 'embedded.sqlite');
      const rawPath = join(directory, 'raw.sqlite');
      const sqliteSizes = { documents: settings.documents, operations: settings.documents };
      const mongoSizes = { documents: settings.mongoDocuments, operations: settings.mongoOperations };
      const runs: { name: string; sizes: Sizes; open: () => Promise<Subject>; file?: string }[] = [
        {
          name: 'embedded (SQLite)',
          sizes: sqliteSizes,
          open: () => openPort(embeddedStore(embeddedPath)),
          file: embeddedPath,
        },
        {
          name: 'baseline: raw better-sqlite3',
          sizes: sqliteSizes,
          open: async () => openRaw(rawPath),
          file: rawPath,
        },
      ];
      const mongo = await findMongo();
      let dropMongo: (() => Promise<void>) | undefined;
      if (mongo.available) {
        const database = `keel_bench_${Date.now().toString(36)}`;
        report.config.mongo = `${mongo.endpoint.url} (${mongo.endpoint.source})`;
        runs.push(
          {
            name: 'MongoDB adapter (FerretDB)',
            sizes: mongoSizes,
            open: () => openPort(createMongoDocumentStore({ url: mongo.endpoint.url, database })),
          },
          {
            name: 'baseline: raw mongodb driver (FerretDB)',
            sizes: mongoSizes,
            open: () => openRawMongo(mongo.endpoint.url, database),
          },
        );
        dropMongo = () => dropDatabase(mongo.endpoint.url, database);
      } else {
        report.notes.push(`MongoDB adapter skipped: ${mongo.reason}`);
      }
      try {
        for (const run of runs) {
          const before = memorySnapshot();
          const subject = await run.open();
          try {
            rows.push(...(await measure(run.name, subject, run.sizes)));
          } finally {
            await subject.close();
          }
          const size = run.file ? `${((await fileSize(run.file)) / 1024 / 1024).toFixed(1)} MB file` : undefined;
          memory.push({ ...memoryRow(run.name, 'after its run (closed)', before, memorySnapshot()), 'on disk': size });
        }
      } finally {
        await dropMongo?.();
      }
      if (!mongo.available) {
        rows.push(
          skippedRow('MongoDB adapter (FerretDB)', mongo.reason),
          skippedRow('baseline: raw mongodb driver (FerretDB)', mongo.reason),
        );
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    report.tables.push(
      {
        title:
          `Document store: ${settings.documents} documents ` +
          `(FerretDB: ${settings.mongoDocuments}, ${settings.mongoOperations} gets and claims)`,
        rows,
      },
      { title: 'Document store: memory (after a full GC)', rows: memory },
    );
    return report;
  },
};

// ---------------------------------------------------------------- measurement

function makeDocuments(count: number): TaskDocument[] {
  const random = seededRandom(settings.seed);
  const words = ['invoice', 'contract', 'policy', 'report', 'manual', 'summary', 'review', 'draft', 'memo', 'plan'];
  const sentence = (length: number) => Array.from({ length }, () => pick(random, words)).join(' ');
  return Array.from({ length: count }, (_, n) => ({
    id: `doc-${String(n).padStart(6, '0')}`,
    tenantId: `tenant-${Math.floor(random() * settings.tenants)}`,
    status: 'pending',
    title: sentence(4),
    // About 300 bytes of body: a realistic metadata record, not a stored file.
    body: sentence(40),
    tags: [pick(random, words), pick(random, words)],
    createdAt: 1_700_000_000_000 + n * 1_000,
  }));
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Documents stored, and how many of them are read by id and claimed. */
interface Sizes {
  documents: number;
  operations: number;
}

async function measure(name: string, subject: Subject, { documents: count, operations }: Sizes): Promise<Row[]> {
  const documents = makeDocuments(count);
  const random = seededRandom(settings.seed + 1);
  const { warmup } = settings;
  // Warm-up inserts write documents that are not part of the set; the measured ones follow.
  const extra = makeDocuments(warmup).map((document) => ({ ...document, id: `warmup-${document.id}` }));

  const inserts = await timeEach(count, warmup, (i) =>
    subject.insert((i < 0 ? extra[warmup + i] : documents[i]) as TaskDocument),
  );

  const lookups = documents.map(() => (pick(random, documents) as TaskDocument).id);
  let missing = 0;
  const gets = await timeEach(operations, warmup, async (i) => {
    const found = await subject.get(lookups[(i + count) % count] as string);
    if (found === null) missing++;
  });

  // Every tenant read to the end, page by page, in both orders; each page is one timed operation.
  const tenants = Array.from({ length: settings.tenants }, (_, t) => `tenant-${t}`);
  const paging = new Map<PageOrder, { samples: number[]; documents: number }>();
  for (const order of ['id', 'newest'] as const) {
    for (const tenant of tenants) await subject.page(order, tenant, undefined);
    const pass = { samples: [] as number[], documents: 0 };
    for (const tenant of tenants) {
      let cursor: string | undefined;
      do {
        const started = performance.now();
        const page = await subject.page(order, tenant, cursor);
        pass.samples.push(performance.now() - started);
        pass.documents += page.count;
        cursor = page.next;
      } while (cursor !== undefined);
    }
    paging.set(order, pass);
  }

  const claimOrder = shuffled(documents, random).map((document) => document.id);
  let won = 0;
  const claims = await timeEach(operations, 0, async (i) => {
    if (await subject.claim(claimOrder[i] as string, 'worker-1')) won++;
  });
  // A claim of a claimed document must lose: checks that the measured claims were real.
  let stolen = 0;
  for (const id of claimOrder.slice(0, 20)) if (await subject.claim(id, 'worker-2')) stolen++;

  // The warm-up documents are stored too: paging must return them as well.
  const problems = [
    missing > 0 && `${missing} gets found nothing`,
    ...[...paging].map(
      ([order, pass]) =>
        pass.documents !== count + warmup &&
        `${order} paging returned ${pass.documents} of ${count + warmup} documents`,
    ),
    won !== operations && `${operations - won} claims lost`,
    stolen > 0 && `${stolen} documents claimed twice`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}`);

  return [
    latencyRow(name, 'insert', inserts.stats),
    latencyRow(name, 'get by id', gets.stats),
    ...[...paging].map(([order, pass]) =>
      latencyRow(name, pageOrders[order], summarize(pass.samples), {
        note: `${pass.samples.length} pages of ≤ ${settings.pageSize}, ${pass.documents} documents`,
      }),
    ),
    latencyRow(name, 'updateIf claim (pending → claimed)', claims.stats),
  ];
}

// ---------------------------------------------------------------- subjects

function embeddedStore(path: string): Promise<DocumentStore> {
  return Promise.resolve(createEmbeddedDocumentStore({ path }));
}

async function openPort(opening: Promise<DocumentStore>): Promise<Subject> {
  const store = await opening;
  const tasks = await store.collection<TaskDocument>('tasks', {
    indexes: [{ fields: ['tenantId'] }, { fields: ['tenantId', 'createdAt'] }],
  });
  return {
    insert: (document) => tasks.insert(document),
    get: (id) => tasks.get(id),
    page: async (order, tenantId, cursor) => {
      const page = await tasks.find({
        where: { tenantId },
        ...(order === 'newest' ? { orderBy: { field: 'createdAt', direction: 'desc' } } : {}),
        limit: settings.pageSize,
        ...(cursor ? { cursor } : {}),
      });
      return { count: page.items.length, ...(page.nextCursor ? { next: page.nextCursor } : {}) };
    },
    claim: async (id, owner) =>
      (await tasks.updateIf(
        id,
        { status: 'pending' },
        { status: 'claimed', claimedBy: owner, claimedAt: Date.now() },
      )) !== null,
    close: () => store.close(),
  };
}

/**
 * What a hand-written SQLite layer would do: the adapter's table (`id`, `doc` JSON, `expires_at`)
 * and expression indexes, WAL, prepared statements, plain equality, keyset cursors, and a claim
 * as one conditional `UPDATE ... RETURNING` with `json_set`. It returns parsed documents, as the
 * adapter does, so both pay for JSON.
 */
function openRaw(path: string): Subject {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  const tenant = `json_extract(doc, '$.tenantId')`;
  const createdAt = `json_extract(doc, '$.createdAt')`;
  db.exec('CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL, expires_at INTEGER)');
  db.exec(`CREATE INDEX tasks__tenantId ON tasks (${tenant})`);
  db.exec(`CREATE INDEX tasks__tenantId__createdAt ON tasks (${tenant}, ${createdAt})`);
  const insert = db.prepare('INSERT INTO tasks (id, doc, expires_at) VALUES (?, ?, NULL)');
  const get = db.prepare('SELECT id, doc FROM tasks WHERE id = ?');
  const select = `SELECT id, doc FROM tasks WHERE ${tenant} = ?`;
  const pages = {
    id: {
      first: db.prepare(`${select} ORDER BY id LIMIT ?`),
      next: db.prepare(`${select} AND id > ? ORDER BY id LIMIT ?`),
    },
    newest: {
      first: db.prepare(`${select} ORDER BY ${createdAt} DESC, id DESC LIMIT ?`),
      next: db.prepare(
        `${select} AND ${createdAt} <= ? AND (${createdAt} < ? OR id < ?) ORDER BY ${createdAt} DESC, id DESC LIMIT ?`,
      ),
    },
  };
  const claim = db.prepare(
    `UPDATE tasks SET doc = json_set(doc, '$.status', 'claimed', '$.claimedBy', ?, '$.claimedAt', ?) ` +
      `WHERE id = ? AND json_extract(doc, '$.status') = 'pending' RETURNING id, doc`,
  );
  type RawRow = { id: string; doc: string };
  const parse = (row: RawRow): TaskDocument => ({ id: row.id, ...JSON.parse(row.doc) });
  return {
    insert: ({ id, ...body }) => {
      insert.run(id, JSON.stringify(body));
    },
    get: (id) => {
      const row = get.get(id) as RawRow | undefined;
      return row === undefined ? null : parse(row);
    },
    page: (order, tenantId, cursor) => {
      // The cursor is the last item's [createdAt, id]; one row more than a page tells whether another follows.
      const limit = settings.pageSize + 1;
      const [lastCreatedAt, lastId] = cursor === undefined ? [] : (JSON.parse(cursor) as [number, string]);
      const rows = (
        cursor === undefined
          ? pages[order].first.all(tenantId, limit)
          : order === 'id'
            ? pages.id.next.all(tenantId, lastId, limit)
            : pages.newest.next.all(tenantId, lastCreatedAt, lastCreatedAt, lastId, limit)
      ) as RawRow[];
      const items = rows.slice(0, settings.pageSize).map(parse);
      return { count: items.length, ...(rows.length === limit ? { next: cursorAfter(items) } : {}) };
    },
    claim: (id, owner) => {
      const row = claim.get(owner, Date.now(), id) as RawRow | undefined;
      if (row !== undefined) parse(row);
      return row !== undefined;
    },
    close: () => {
      db.close();
    },
  };
}

/** The raw baselines' cursor: the last item's order key, as JSON. */
function cursorAfter(items: TaskDocument[]): string {
  const last = items.at(-1);
  if (last === undefined) throw new Error('a full page has a last item');
  return JSON.stringify([last.createdAt, last.id]);
}

/**
 * The mongodb driver as an application would use it directly: plain `{ field: value }` filters,
 * the same two indexes, keyset cursors, and a claim as one `findOneAndUpdate` (which FerretDB v1
 * does not run atomically: the adapter adds a lock there, this baseline does not).
 */
async function openRawMongo(url: string, database: string): Promise<Subject> {
  type RawDocument = Omit<TaskDocument, 'id'> & { _id: string };
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  const tasks = client.db(database).collection<RawDocument>('tasks_raw');
  await tasks.createIndex({ tenantId: 1 }, { name: 'tenantId' });
  await tasks.createIndex({ tenantId: 1, createdAt: 1 }, { name: 'tenantId__createdAt' });
  const parse = ({ _id, ...rest }: RawDocument) => ({ id: _id, ...rest }) as TaskDocument;
  return {
    insert: async ({ id, ...rest }) => {
      await tasks.insertOne({ _id: id, ...rest });
    },
    get: async (id) => {
      const found = await tasks.findOne({ _id: id });
      return found === null ? null : parse(found);
    },
    page: async (order, tenantId, cursor) => {
      const [lastCreatedAt, lastId] = cursor === undefined ? [] : (JSON.parse(cursor) as [number, string]);
      const after =
        cursor === undefined
          ? {}
          : order === 'id'
            ? { _id: { $gt: lastId } }
            : { $or: [{ createdAt: { $lt: lastCreatedAt } }, { createdAt: lastCreatedAt, _id: { $lt: lastId } }] };
      const sort: Sort = order === 'id' ? { _id: 1 } : { createdAt: -1, _id: -1 };
      const found = await tasks
        .find({ tenantId, ...after })
        .sort(sort)
        .limit(settings.pageSize + 1)
        .toArray();
      const items = found.slice(0, settings.pageSize).map(parse);
      return { count: items.length, ...(found.length > settings.pageSize ? { next: cursorAfter(items) } : {}) };
    },
    claim: async (id, owner) => {
      const updated = await tasks.findOneAndUpdate(
        { _id: id, status: 'pending' },
        { $set: { status: 'claimed', claimedBy: owner, claimedAt: Date.now() } },
        { returnDocument: 'after' },
      );
      return updated !== null;
    },
    close: () => client.close(),
  };
}

async function dropDatabase(url: string, database: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 3_000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}

async function fileSize(path: string): Promise<number> {
  const sizes = await Promise.all(
    ['', '-wal'].map((suffix) =>
      stat(`${path}${suffix}`).then(
        (info) => info.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
