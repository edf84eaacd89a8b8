import Database from 'better-sqlite3';
import type { PayloadValue } from '../vector-index.js';

/** A chunk as stored: `key` is its stable row key (never reused), the HNSW graph's label. */
export interface StoredChunk {
  key: number;
  id: string;
  seq: number;
  vector: Float32Array;
  /** `tokenizeForSearch(text)` joined by spaces, so reopening never tokenises again. */
  terms: string;
  payload: Record<string, PayloadValue>;
}

export interface Removal {
  id: string;
  key: number;
  seq: number;
}

export interface CollectionRecord {
  name: string;
  dimensions: number;
  /** Bumped by every write to the collection: readers compare it with what they have applied. */
  seq: number;
  /** The write sequence the saved HNSW graph file reflects (0: none). */
  graphSeq: number;
}

export interface NewChunk {
  id: string;
  vector: Float32Array;
  text: string;
  terms: string;
  payload: Record<string, PayloadValue>;
}

interface ChunkRow {
  key: number;
  id: string;
  seq: number;
  vector: Buffer;
  terms: string;
  payload: string;
}

/**
 * The embedded index's durable state in one SQLite file (WAL): collections, chunks (vector as a
 * float32 blob, text, search terms, payload JSON) and removals. Every write takes the next
 * sequence number of its collection; the in-memory index of any process on the same file catches
 * up by reading what changed after the sequence it has applied. Removals keep the row key so a
 * saved graph can drop it.
 */
export class ChunkStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // Readers and one writer in other processes: wait for a lock rather than fail.
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS collections (
        name TEXT PRIMARY KEY, dimensions INTEGER NOT NULL, seq INTEGER NOT NULL DEFAULT 0,
        graph_seq INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS chunks (
        key INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, id TEXT NOT NULL,
        seq INTEGER NOT NULL, vector BLOB NOT NULL, text TEXT NOT NULL, terms TEXT NOT NULL,
        payload TEXT NOT NULL, UNIQUE (collection, id));
      CREATE INDEX IF NOT EXISTS chunks_by_seq ON chunks (collection, seq);
      CREATE TABLE IF NOT EXISTS removals (
        collection TEXT NOT NULL, id TEXT NOT NULL, key INTEGER NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (collection, id));
      CREATE INDEX IF NOT EXISTS removals_by_seq ON removals (collection, seq);
    `);
    this.statements = {
      collection: this.db.prepare<[string], { name: string; dimensions: number; seq: number; graphSeq: number }>(
        'SELECT name, dimensions, seq, graph_seq AS graphSeq FROM collections WHERE name = ?',
      ),
      seq: this.db.prepare<[string], { seq: number }>('SELECT seq FROM collections WHERE name = ?'),
      createCollection: this.db.prepare('INSERT OR IGNORE INTO collections (name, dimensions) VALUES (?, ?)'),
      setSeq: this.db.prepare('UPDATE collections SET seq = ? WHERE name = ?'),
      upsert: this.db.prepare(
        `INSERT INTO chunks (collection, id, seq, vector, text, terms, payload) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, vector = excluded.vector,
           text = excluded.text, terms = excluded.terms, payload = excluded.payload`,
      ),
      remove: this.db.prepare<[string, string], { key: number }>(
        'DELETE FROM chunks WHERE collection = ? AND id = ? RETURNING key',
      ),
      recordRemoval: this.db.prepare(
        `INSERT INTO removals (collection, id, key, seq) VALUES (?, ?, ?, ?)
         ON CONFLICT (collection, id) DO UPDATE SET key = excluded.key, seq = excluded.seq`,
      ),
      changedSince: this.db.prepare<[string, number], ChunkRow>(
        'SELECT key, id, seq, vector, terms, payload FROM chunks WHERE collection = ? AND seq > ? ORDER BY key',
      ),
      removedSince: this.db.prepare<[string, number], Removal>(
        'SELECT id, key, seq FROM removals WHERE collection = ? AND seq > ?',
      ),
      text: this.db.prepare<[number], { text: string }>('SELECT text FROM chunks WHERE key = ?'),
      setGraphSeq: this.db.prepare('UPDATE collections SET graph_seq = ? WHERE name = ? AND graph_seq < ?'),
      collectionCount: this.db.prepare<[], { count: number }>('SELECT count(*) AS count FROM collections'),
    };
  }

  collection(name: string): CollectionRecord | undefined {
    return this.statements.collection.get(name);
  }

  /** The collection's write sequence, or undefined when it does not exist. */
  seq(name: string): number | undefined {
    return this.statements.seq.get(name)?.seq;
  }

  createCollection(name: string, dimensions: number): void {
    this.statements.createCollection.run(name, dimensions);
  }

  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE: it holds the write lock from the start,
   * so what `work` reads first is still true when it writes), with the collection's next sequence.
   * The collection's sequence moves to it when `work` returns.
   */
  write<T>(collection: string, work: (seq: number) => T): T {
    return this.db
      .transaction(() => {
        const current = this.statements.seq.get(collection);
        if (!current) throw new Error(`collection "${collection}" does not exist`);
        // Bumped after the work, so that `work` may first catch up with everything committed before.
        const result = work(current.seq + 1);
        this.statements.setSeq.run(current.seq + 1, collection);
        return result;
      })
      .immediate();
  }

  /** Within `write`. */
  upsert(collection: string, seq: number, chunk: NewChunk): void {
    this.statements.upsert.run(
      collection,
      chunk.id,
      seq,
      Buffer.from(chunk.vector.buffer, chunk.vector.byteOffset, chunk.vector.byteLength),
      chunk.text,
      chunk.terms,
      JSON.stringify(chunk.payload),
    );
  }

  /** Within `write`. */
  remove(collection: string, seq: number, id: string): void {
    const removed = this.statements.remove.get(collection, id);
    if (removed) this.statements.recordRemoval.run(collection, id, removed.key, seq);
  }

  /** Chunks written after `seq` (all of them for 0), in key order. */
  *changedSince(collection: string, seq: number): Generator<StoredChunk> {
    for (const row of this.statements.changedSince.iterate(collection, seq)) {
      yield {
        key: row.key,
        id: row.id,
        seq: row.seq,
        vector: new Float32Array(
          row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength),
        ),
        terms: row.terms,
        payload: JSON.parse(row.payload) as Record<string, PayloadValue>,
      };
    }
  }

  /** Runs `work` on one consistent snapshot of the file (a read transaction). */
  read<T>(work: () => T): T {
    return this.db.transaction(work).deferred();
  }

  removedSince(collection: string, seq: number): Removal[] {
    return this.statements.removedSince.all(collection, seq);
  }

  text(key: number): string | undefined {
    return this.statements.text.get(key)?.text;
  }

  /** Records that the graph file for `seq` is complete, unless a newer one already is. */
  setGraphSeq(collection: string, seq: number): void {
    this.statements.setGraphSeq.run(seq, collection, seq);
  }

  collectionCount(): number {
    return this.statements.collectionCount.get()?.count ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
