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

  it('compiles a field known to hold no array to a plain comparison, types still kept apart', () => {
    const scalar = new Set(['tenantId', 'createdAt']);
    const equality = toSqlCondition(parseFilter({ tenantId: 't7', createdAt: { $gte: 1000 } }), scalar);
    expect(equality.sql).not.toMatch(/json_each| OR /);
    expect(equality.params).toEqual(['t7', 1000]);
    expect(plan(equality)).toMatch(/SEARCH docs USING INDEX docs_tenant \(<expr>=\?\)/);
    expect(select(equality)).toEqual(Array.from({ length: 20 }, (_, step) => `d${1007 + 50 * step}`));
    expect(select(toSqlCondition(parseFilter({ createdAt: '7' }), scalar))).toEqual([]);
    // Where the comparison alone keeps JSON types apart, the row is not even read: a count stays in the index.
    const tenant = toSqlCondition(parseFilter({ tenantId: 't7' }), scalar);
    expect(tenant.sql).not.toMatch(/json_type/);
    const countPlan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT count(*) FROM docs WHERE ${tenant.sql}`)
      .all(...tenant.params);
    expect(countPlan).toMatchObject([{ detail: 'SEARCH docs USING COVERING INDEX docs_tenant (<expr>=?)' }]);
    // 0 and 1 may be booleans, texts starting with { or [ may be containers: those keep the type test.
    for (const ambiguous of [{ createdAt: 1 }, { createdAt: 0 }, { tenantId: '{"a":1}' }, { tenantId: '[1]' }]) {
      expect(toSqlCondition(parseFilter(ambiguous), scalar).sql).toMatch(/json_type/);
    }
    expect(select(toSqlCondition(parseFilter({ tenantId: null }), scalar))).toEqual([]);
    expect(select(toSqlCondition(parseFilter({ tenantId: { $ne: 't7' } }), scalar))).toHaveLength(1960);
    // A field not in the set keeps its element test: tags holds arrays.
    const tags = toSqlCondition(parseFilter({ tags: 'g3', tenantId: 't3' }), scalar);
    expect(tags.sql).toMatch(/json_each\(doc, '\$\.tags'\)/);
    expect(select(tags)).toHaveLength(6);
  });

  it('matches array elements', () => {
    expect(select(toSqlCondition(parseFilter({ tags: 'g3', createdAt: { $lt: 20 } })))).toEqual(['d10', 'd17', 'd3']);
  });
});
