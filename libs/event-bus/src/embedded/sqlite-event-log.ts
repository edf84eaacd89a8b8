/**
 * The durable embedded bus's file: topics with their partition counts, every message appended
 * (partition, offset, key, value bytes, headers, timestamp) and every committed group offset,
 * in one SQLite file through better-sqlite3. Everything here is synchronous, so the bus writes
 * inside `publish` and inside a commit: once either has returned, the write is in the file.
 *
 * One process at a time: the file is opened with `locking_mode = EXCLUSIVE` and a write
 * transaction right away, which takes SQLite's exclusive lock and keeps it until `close()`.
 * A second bus on the same file, in this process or another, fails at once with
 * `EventLogInUseError` instead of two logs silently handing out the same offsets. The operating
 * system drops the lock when a process dies, so a crash leaves no stale lock behind.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredMessage } from './partition-log.js';

/** Bumped when the tables change shape; a file from a newer version is refused, not misread. */
const schemaVersion = 1;

const schema = `
  CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY NOT NULL,
    partition_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS partitions (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL REFERENCES topics (name),
    partition_no INTEGER NOT NULL,
    -- The log-start offset: retention deleted everything below it.
    start_offset INTEGER NOT NULL DEFAULT 0,
    UNIQUE (topic, partition_no)
  );
  CREATE TABLE IF NOT EXISTS messages (
    partition_id INTEGER NOT NULL REFERENCES partitions (id),
    message_offset INTEGER NOT NULL,
    message_key TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL, -- a JSON object of strings
    timestamp INTEGER NOT NULL, -- milliseconds since the epoch
    PRIMARY KEY (partition_id, message_offset)
  );
  CREATE TABLE IF NOT EXISTS committed_offsets (
    group_id TEXT NOT NULL,
    partition_id INTEGER NOT NULL REFERENCES partitions (id),
    next_offset INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, partition_id)
  ) WITHOUT ROWID;
`;

/** The file is held by another bus: the error names the file and what to do. */
export class EventLogInUseError extends Error {
  readonly code = 'EVENT_BUS.LOG_IN_USE';
  readonly retryable = false;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `the embedded event bus log ${path} is already open in another process (or another bus in this one); ` +
        'one bus per file: stop the other process, or give this one its own KEEL_DATA_DIR',
      { cause },
    );
    this.name = 'EventLogInUseError';
  }
}

export interface RestoredPartition {
  startOffset: number;
  messages: StoredMessage[];
}

export interface RestoredLog {
  topics: { name: string; partitions: RestoredPartition[] }[];
  offsets: { groupId: string; topic: string; partition: number; nextOffset: number }[];
}

export interface AppendedMessage {
  topic: string;
  partition: number;
  message: StoredMessage;
}

interface PartitionRow {
  id: number;
  topic: string;
  partition_no: number;
  start_offset: number;
  partition_count: number;
}

interface MessageRow {
  partition_id: number;
  message_offset: number;
  message_key: string;
  value: Buffer;
  headers: string;
  timestamp: number;
}

interface OffsetRow {
  group_id: string;
  partition_id: number;
  next_offset: number;
}

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class SqliteEventLog {
  readonly #db: Database.Database;
  /** topic/partition → row id of the partition. */
  readonly #partitionIds = new Map<string, number>();
  readonly #insertTopic: Database.Statement;
  readonly #insertPartition: Database.Statement;
  readonly #insertMessage: Database.Statement;
  readonly #upsertOffset: Database.Statement;
  readonly #deleteBelow: Database.Statement;
  readonly #setStart: Database.Statement;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.#db = db;
    this.#insertTopic = db.prepare('INSERT INTO topics (name, partition_count, created_at) VALUES (?, ?, ?)');
    this.#insertPartition = db.prepare('INSERT INTO partitions (topic, partition_no) VALUES (?, ?)');
    this.#insertMessage = db.prepare(
      'INSERT INTO messages (partition_id, message_offset, message_key, value, headers, timestamp) ' +
        'VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#upsertOffset = db.prepare(
      'INSERT INTO committed_offsets (group_id, partition_id, next_offset, committed_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (group_id, partition_id) DO UPDATE SET ' +
        'next_offset = excluded.next_offset, committed_at = excluded.committed_at',
    );
    this.#deleteBelow = db.prepare('DELETE FROM messages WHERE partition_id = ? AND message_offset < ?');
    this.#setStart = db.prepare('UPDATE partitions SET start_offset = ? WHERE id = ?');
  }

  /** Opens (or creates) the file, takes its lock and reads everything back. */
  static open(path: string): { log: SqliteEventLog; restored: RestoredLog } {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    // No busy wait: the lock is held for the bus's lifetime, so waiting would not help.
    const db = new Database(path, { timeout: 0 });
    try {
      // Before the first read: in WAL mode an exclusive connection keeps its WAL index in its
      // own memory (no -shm file) and never lets another connection in.
      db.pragma('locking_mode = EXCLUSIVE');
      // WAL: an append is one sequential write. synchronous = NORMAL: a commit reaches the
      // operating system before it returns, but is fsynced only at checkpoints. So anything a
      // resolved publish or commit wrote survives the process ending any way it can (SIGTERM,
      // a crash, kill -9), which is what a restart needs; only an OS crash or power loss can
      // take back the last transactions. FULL would fsync every publish and every commit.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // A write transaction now takes the exclusive lock, which EXCLUSIVE mode keeps.
      db.exec('BEGIN EXCLUSIVE');
      try {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > schemaVersion) {
          throw new Error(
            `the embedded event bus log ${path} has schema version ${version}; this build reads up to ${schemaVersion}`,
          );
        }
        db.exec(schema);
        db.pragma(`user_version = ${schemaVersion}`);
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new EventLogInUseError(path, error);
      throw error;
    }
    const log = new SqliteEventLog(path, db);
    return { log, restored: log.#read() };
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  createTopic(topic: string, partitions: number, createdAt = Date.now()): void {
    this.#db.transaction(() => {
      this.#insertTopic.run(topic, partitions, createdAt);
      for (let partition = 0; partition < partitions; partition++) {
        const { lastInsertRowid } = this.#insertPartition.run(topic, partition);
        this.#partitionIds.set(partitionKey(topic, partition), Number(lastInsertRowid));
      }
    })();
  }

  /** All of one publish in one transaction: every message is in the file, or none is. */
  append(messages: readonly AppendedMessage[]): void {
    if (messages.length === 0) return;
    if (messages.length === 1) {
      this.#appendOne(messages[0] as AppendedMessage);
      return;
    }
    this.#db.transaction(() => {
      for (const message of messages) this.#appendOne(message);
    })();
  }

  commit(groupId: string, topic: string, partition: number, nextOffset: number): void {
    this.#upsertOffset.run(groupId, this.#partitionId(topic, partition), nextOffset, Date.now());
  }

  /** Deletes the messages below each new log-start offset, all in one transaction. */
  trim(trims: readonly { topic: string; partition: number; startOffset: number }[]): void {
    if (trims.length === 0) return;
    this.#db.transaction(() => {
      for (const { topic, partition, startOffset } of trims) {
        const id = this.#partitionId(topic, partition);
        this.#deleteBelow.run(id, startOffset);
        this.#setStart.run(startOffset, id);
      }
    })();
  }

  /** Checkpoints the WAL into the file and releases the lock. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #appendOne({ topic, partition, message }: AppendedMessage): void {
    const { buffer, byteOffset, byteLength } = message.value;
    this.#insertMessage.run(
      this.#partitionId(topic, partition),
      message.offset,
      message.key,
      Buffer.from(buffer, byteOffset, byteLength),
      JSON.stringify(message.headers),
      message.timestamp,
    );
  }

  #partitionId(topic: string, partition: number): number {
    const id = this.#partitionIds.get(partitionKey(topic, partition));
    if (id === undefined) throw new Error(`the embedded event bus log has no partition ${topic}/${partition}`);
    return id;
  }

  #read(): RestoredLog {
    const rows = this.#db
      .prepare(
        'SELECT p.id, p.topic, p.partition_no, p.start_offset, t.partition_count ' +
          'FROM partitions p JOIN topics t ON t.name = p.topic ORDER BY p.topic, p.partition_no',
      )
      .all() as PartitionRow[];
    const byId = new Map<number, { topic: string; partition: number; restored: RestoredPartition }>();
    const topics = new Map<string, RestoredPartition[]>();
    for (const row of rows) {
      this.#partitionIds.set(partitionKey(row.topic, row.partition_no), row.id);
      const restored: RestoredPartition = { startOffset: row.start_offset, messages: [] };
      byId.set(row.id, { topic: row.topic, partition: row.partition_no, restored });
      let partitions = topics.get(row.topic);
      if (!partitions) {
        partitions = Array.from({ length: row.partition_count });
        topics.set(row.topic, partitions);
      }
      partitions[row.partition_no] = restored;
    }
    for (const [topic, partitions] of topics) {
      if (partitions.some((partition) => partition === undefined)) {
        throw new Error(`the embedded event bus log ${this.path} is damaged: topic ${topic} misses partitions`);
      }
    }
    const messages = this.#db
      .prepare(
        'SELECT partition_id, message_offset, message_key, value, headers, timestamp ' +
          'FROM messages ORDER BY partition_id, message_offset',
      )
      .iterate() as IterableIterator<MessageRow>;
    for (const row of messages) {
      const owner = byId.get(row.partition_id);
      if (!owner) continue;
      owner.restored.messages.push({
        offset: row.message_offset,
        key: row.message_key,
        // A plain Uint8Array copy: Buffer#slice() shares memory, and handlers get value.slice().
        value: new Uint8Array(row.value),
        headers: JSON.parse(row.headers) as Record<string, string>,
        timestamp: row.timestamp,
      });
    }
    const offsets = (
      this.#db.prepare('SELECT group_id, partition_id, next_offset FROM committed_offsets').all() as OffsetRow[]
    ).flatMap((row) => {
      const owner = byId.get(row.partition_id);
      return owner
        ? [{ groupId: row.group_id, topic: owner.topic, partition: owner.partition, nextOffset: row.next_offset }]
        : [];
    });
    return {
      topics: [...topics].map(([name, partitions]) => ({ name, partitions: partitions as RestoredPartition[] })),
      offsets,
    };
  }
}
