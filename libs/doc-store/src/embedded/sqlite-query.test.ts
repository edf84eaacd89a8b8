import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../query/filter.js';
import { keysetSegments, type SqlFragment, toSqlCondition, toSqlOrder } from './sqlite-query.js';

const db = new Database(':memory:');
db.exec('CREATE TABLE docs (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL, expires_at INTEGER)');
db.exec(`CREATE INDEX docs_tenant ON docs (json_extract(doc, '$.tenantId'))`);
db.exec(`CREATE INDEX docs_created ON docs (json_extract(doc, '$.createdAt'))`);
const insert = db.prepare('INSERT INTO docs (id, doc) VALUES (?, ?)');
for (let index = 0; index < 2000; index += 1) {
  insert.run(`d${index}`, JSON.stringify({ tenantId: `t${index % 50}`, createdAt: index, tags: [`g${index % 7}`] }));
}

afterAll(() => db.close());

function plan(where: SqlFragment, order = ''): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM docs WHERE ${where.sql} ${order}`).all(...where.params);
  return (rows as { detail: string }[]).map((row) => row.detail).join('\n');
}

function select(where: SqlFragment, order = 'ORDER BY id'): string[] {
  const rows = db.prepare(`SELECT id FROM docs WHERE ${where.sql} ${order}`).all(...where.params) as { id: string }[];
  return rows.map((row) => row.id);
}

describe('SQL compiled from filters', () => {
  it('binds every value; the SQL text holds only validated paths', () => {
    const compiled = toSqlCondition(parseFilter({ tenantId: "t1' OR '1'='1", title: { $in: ['a', 'b'] } }));
    expect(compiled.sql).not.toContain("t1'");
    expect(compiled.params).toContain("t1' OR '1'='1");
    expect(select(compiled)).toEqual([]);
  });

  it('looks up an indexed field through its expression index, arrays included', () => {
    const equality = toSqlCondition(parseFilter({ tenantId: 't7' }));
    expect(plan(equality)).toMatch(/USING INDEX docs_tenant/);
    expect(plan(equality)).not.toMatch(/SCAN docs\b(?! USING)/);
    expect(select(equality)).toHaveLength(40);
  });

  it('seeks the sort index to the cursor in both directions instead of sorting the rest', () => {
    const asc = { field: 'createdAt', direction: 'asc' } as const;
    const [afterAsc, ...restAsc] = keysetSegments(asc, { value: 1990, id: 'd1990' });
    expect(restAsc).toEqual([]);
    expect(plan(afterAsc as SqlFragment, `ORDER BY ${toSqlOrder(asc)}`)).toMatch(
      /USING INDEX docs_created \(<expr>>\?\)/,
    );
    expect(select(afterAsc as SqlFragment, `ORDER BY ${toSqlOrder(asc)}`)).toEqual([
      'd1991',
      'd1992',
      'd1993',
      'd1994',
      'd1995',
      'd1996',
      'd1997',
      'd1998',
      'd1999',
    ]);
    const desc = { field: 'createdAt', direction: 'desc' } as const;
    const [afterDesc, nulls] = keysetSegments(desc, { value: 12, id: 'd12' });
    expect(plan(afterDesc as SqlFragment, `ORDER BY ${toSqlOrder(desc)} LIMIT 3`)).toMatch(
      /USING INDEX docs_created \(<expr><\?\)/,
    );
    expect(select(afterDesc as SqlFragment, `ORDER BY ${toSqlOrder(desc)} LIMIT 3`)).toEqual(['d11', 'd10', 'd9']);
    expect(nulls?.sql).toMatch(/IS NULL/);
  });

  it('matches array elements', () => {
    expect(select(toSqlCondition(parseFilter({ tags: 'g3', createdAt: { $lt: 20 } })))).toEqual(['d10', 'd17', 'd3']);
  });
});
