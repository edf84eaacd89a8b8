import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CollectionOptions } from '../document-store.js';
import { normalizeCollectionOptions } from '../query/collection-options.js';
import { ARRAY_FIELDS_TABLE, readScalarFields } from './array-fields.js';
import { createCollectionSchema } from './sqlite-schema.js';

const directory = mkdtempSync(join(tmpdir(), 'keel-array-fields-'));
const open: Database.Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function connect(path = ':memory:'): Database.Database {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  open.push(db);
  return db;
}

function schema(db: Database.Database, options: CollectionOptions): void {
  createCollectionSchema(db, 'notes', normalizeCollectionOptions('notes', options));
}

function scalarFields(db: Database.Database): string[] {
  return [...readScalarFields((sql) => db.prepare(sql), 'notes')].sort();
}

function write(db: Database.Database, id: string, body: object): void {
  db.prepare('INSERT INTO notes (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc').run(
    id,
    JSON.stringify(body),
  );
}

const indexed = { indexes: [{ fields: ['tenantId', 'createdAt'] }, { fields: ['labels'] }, { fields: ['meta.refs'] }] };

describe('array-field tracking', () => {
  it('tracks the fields of declared indexes, each until a row holds an array there', () => {
    const db = connect();
    schema(db, indexed);
    expect(scalarFields(db)).toEqual(['createdAt', 'labels', 'meta.refs', 'tenantId']);

    write(db, 'n1', { tenantId: 't1', createdAt: 1, labels: 'one', meta: { refs: 'r' }, untracked: [1] });
    expect(scalarFields(db)).toEqual(['createdAt', 'labels', 'meta.refs', 'tenantId']);
    // An array inside an array, or under a path that goes through one, is not the field itself.
    write(db, 'n2', { labels: [['nested']], meta: [{ refs: [1] }] });
    expect(scalarFields(db)).toEqual(['createdAt', 'meta.refs', 'tenantId']);
    // Updates count too (upsert, updateIf), nested paths included.
    write(db, 'n1', { tenantId: 't1', createdAt: 1, meta: { refs: ['r1', 'r2'] } });
    expect(scalarFields(db)).toEqual(['createdAt', 'tenantId']);
  });

  it('never forgets an array: deleting the row leaves the field marked', () => {
    const db = connect();
    schema(db, indexed);
    write(db, 'n1', { tenantId: ['t1', 't2'] });
    db.prepare('DELETE FROM notes').run();
    expect(scalarFields(db)).not.toContain('tenantId');
  });

  it('accounts for rows written before a field was tracked', () => {
    const db = connect();
    // A table from before tracking existed, or one whose index on labels is declared only now.
    db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL, expires_at INTEGER)');
    write(db, 'old', { tenantId: ['t1'], labels: 'plain', createdAt: 1 });
    schema(db, { indexes: [{ fields: ['tenantId'] }, { fields: ['createdAt'] }] });
    expect(scalarFields(db)).toEqual(['createdAt']);

    write(db, 'later', { labels: ['a', 'b'] });
    schema(db, indexed);
    expect(scalarFields(db)).toEqual(['createdAt', 'meta.refs']);
  });

  it('is kept by the file: writes from another connection mark fields at once', () => {
    const path = join(directory, 'shared.db');
    const reader = connect(path);
    schema(reader, indexed);
    const writer = connect(path);
    expect(scalarFields(reader)).toContain('tenantId');
    // Plain SQL from another process (no adapter code at all) still goes through the triggers.
    write(writer, 'n1', { tenantId: ['t1', 't2'] });
    expect(scalarFields(reader)).not.toContain('tenantId');
  });

  it('gives readers one snapshot of flags and rows', () => {
    const path = join(directory, 'snapshot.db');
    const reader = connect(path);
    schema(reader, indexed);
    write(reader, 'n1', { tenantId: 't1' });
    const writer = connect(path);
    const read = reader.transaction(() => {
      const before = scalarFields(reader);
      write(writer, 'n2', { tenantId: ['t1'] });
      const rows = reader.prepare('SELECT id FROM notes ORDER BY id').all();
      return { before, rows };
    });
    // Inside the transaction the new row is invisible, so "tenantId holds no array" stays true of
    // what this reader sees; the next transaction sees both the row and the flag.
    expect(read()).toEqual({ before: ['createdAt', 'labels', 'meta.refs', 'tenantId'], rows: [{ id: 'n1' }] });
    expect(scalarFields(reader)).not.toContain('tenantId');
  });

  it('keeps its table out of the collection namespace', () => {
    expect(() => normalizeCollectionOptions(ARRAY_FIELDS_TABLE)).toThrow(/invalid collection name/);
  });
});
