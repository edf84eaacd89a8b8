/**
 * Which indexed fields have never held an array, kept by the database itself.
 *
 * MongoDB's equality also matches an array holding the value, so `{ tenantId: 'acme' }` compiles
 * to `(scalar test) OR (array test)`. SQLite cannot read an index in order through that OR: it
 * merges two index lookups and sorts every match, so each page of a newest-first listing sorted
 * all of a tenant's remaining rows. Fields like tenantId, status or createdAt never hold arrays,
 * and for them the array test can go: `json_extract(…) = ?` alone seeks the `(tenantId, createdAt)`
 * index and reads it in order.
 *
 * Dropping the test is only correct if no row the query can see holds an array there, whoever
 * wrote it: this process, another process on the same file, an older version of this adapter, or
 * SQL typed by hand. So the file records it, not the process:
 *
 * - `_keel_array_fields` has a row per tracked (collection, field); `seen_array` is 0 until a row
 *   with an array at that path is written, then 1 for good. It is never reset: a delete does not
 *   prove that no other row holds an array, and a stale 1 costs speed, not correctness.
 * - Triggers on the collection's table set the flag inside the transaction of the write that
 *   stores the array, so no commit can make an array visible without the flag.
 * - A field starts being tracked inside the IMMEDIATE transaction that creates the schema, which
 *   first looks for arrays among the existing rows: rows written before tracking began are
 *   accounted for, and no writer can commit in between.
 * - Readers read the flags and the rows in one read transaction, that is one snapshot, so a
 *   statement compiled from the flags cannot miss an array row it can see.
 *
 * Only the fields of declared indexes are tracked: elsewhere there is no index to read in order,
 * and the array test is a per-row check that costs next to nothing.
 */
import type Database from 'better-sqlite3';
import { ID_FIELD } from '../query/field-names.js';
import { holdsArray, type Prepare, quoteIdentifier, type ScalarFields } from './sqlite-query.js';

/** The metadata table; collection names start with a letter, so no collection can take this name. */
export const ARRAY_FIELDS_TABLE = '_keel_array_fields';

const WRITE_EVENTS = [
  { event: 'INSERT', suffix: 'insert' },
  { event: 'UPDATE OF doc', suffix: 'update' },
] as const;

/**
 * Starts tracking `fields` of a collection (its declared index fields). Run it inside the
 * IMMEDIATE transaction that creates the collection's table, after the table and its indexes.
 */
export function trackArrayFields(db: Database.Database, collection: string, fields: Iterable<string>): void {
  if (!db.inTransaction) throw new Error('trackArrayFields must run inside the schema transaction');
  const table = quoteIdentifier(collection);
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${ARRAY_FIELDS_TABLE} (collection TEXT NOT NULL, field TEXT NOT NULL, ` +
      'seen_array INTEGER NOT NULL, PRIMARY KEY (collection, field)) WITHOUT ROWID',
  );
  for (const { event, suffix } of WRITE_EVENTS) {
    // One statement per write covers every tracked field, including fields tracked later. Only
    // documents whose JSON has a "[" can hold an array, so the others skip it. The collection name
    // is validated (letters, digits, "_", "-"), so it is safe inside the literal.
    db.exec(
      `CREATE TRIGGER IF NOT EXISTS ${quoteIdentifier(`_keel_${collection}__arrays_on_${suffix}`)} ` +
        `AFTER ${event} ON ${table} WHEN instr(NEW.doc, '[') > 0 BEGIN ` +
        `UPDATE ${ARRAY_FIELDS_TABLE} SET seen_array = 1 WHERE collection = '${collection}' AND seen_array = 0 ` +
        `AND json_type(NEW.doc, '$.' || field) = 'array'; END`,
    );
  }
  const rows = db.prepare(`SELECT field FROM ${ARRAY_FIELDS_TABLE} WHERE collection = ?`).all(collection);
  const tracked = new Set((rows as { field: string }[]).map((row) => row.field));
  const track = db.prepare(`INSERT INTO ${ARRAY_FIELDS_TABLE} (collection, field, seen_array) VALUES (?, ?, ?)`);
  for (const field of new Set(fields)) {
    // The id is a column, never inside the JSON.
    if (field === ID_FIELD || tracked.has(field)) continue;
    const existing = db.prepare(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE ${holdsArray(field)}) AS found`);
    const { found } = existing.get() as { found: number };
    track.run(collection, field, found);
  }
}

/**
 * The tracked fields of a collection that no row holds an array in. Call it inside the read (or
 * write) transaction of the statement compiled from it, so both see the same snapshot.
 */
export function readScalarFields(prepare: Prepare, collection: string): ScalarFields {
  const sql = `SELECT field FROM ${ARRAY_FIELDS_TABLE} WHERE collection = ? AND seen_array = 0`;
  return new Set((prepare(sql).all(collection) as { field: string }[]).map((row) => row.field));
}
