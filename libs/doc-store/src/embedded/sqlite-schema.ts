import type Database from 'better-sqlite3';
import type { IndexSpec } from '../document-store.js';
import { indexName, type NormalizedCollectionOptions } from '../query/collection-options.js';
import { trackArrayFields } from './array-fields.js';
import { fieldExpression, quoteIdentifier } from './sqlite-query.js';

/** The SQLite index name of a declared index: index names are per database, so the table prefixes it. */
export function sqliteIndexName(collection: string, index: IndexSpec): string {
  return `${collection}__${indexName(index)}`;
}

/**
 * Creates a collection's table, its indexes and its array-field tracking, or adds what a new
 * declaration asks for to an existing one. IMMEDIATE: it takes the write lock before reading, so
 * another process opening or writing the same file waits instead of interleaving (tracking a field
 * reads the existing rows, and no write may commit between that read and the tracking row).
 */
export function createCollectionSchema(
  db: Database.Database,
  name: string,
  options: NormalizedCollectionOptions,
): void {
  const table = quoteIdentifier(name);
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL, expires_at INTEGER)`,
    );
    db.exec(
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${name}__expires_at`)} ON ${table} (expires_at) ` +
        'WHERE expires_at IS NOT NULL',
    );
    for (const index of options.indexes) {
      const unique = index.unique ? 'UNIQUE ' : '';
      const columns = index.fields.map(fieldExpression).join(', ');
      db.exec(
        `CREATE ${unique}INDEX IF NOT EXISTS ${quoteIdentifier(sqliteIndexName(name, index))} ON ${table} (${columns})`,
      );
    }
    trackArrayFields(
      db,
      name,
      options.indexes.flatMap((index) => index.fields),
    );
    if (options.ttlField !== undefined) {
      // Rows written before the collection had a TTL field get their expiry column now.
      db.exec(
        `UPDATE ${table} SET expires_at = ${fieldExpression(options.ttlField)} WHERE expires_at IS NULL ` +
          `AND json_type(doc, '$.${options.ttlField}') IN ('integer', 'real')`,
      );
    }
  }).immediate();
}
