import type { PayloadValue, VectorFilter } from '../vector-index.js';

/**
 * Payload filters on LanceDB: every row carries `filter_terms`, a list holding `key=value` for
 * each scalar payload value and each element of an array value, the value JSON-encoded so
 * that types stay apart (`v=2` is the number, `v="2"` the string, `v=true` the boolean).
 * `equals` becomes `array_has`, `anyOf` becomes `array_has_any`: any payload key can be
 * filtered without a column per key or a schema change.
 */
export function filterTerms(payload: Record<string, PayloadValue>): string[] {
  const terms = new Set<string>();
  for (const [key, value] of Object.entries(payload)) {
    for (const item of Array.isArray(value) ? value : [value]) terms.add(filterTerm(key, item));
  }
  return [...terms];
}

export function filterTerm(key: string, value: string | number | boolean): string {
  return `${key}=${JSON.stringify(value)}`;
}

/** The SQL `where` for a validated filter; undefined when it has no conditions. */
export function whereClause(filter: VectorFilter): string | undefined {
  const clauses = filter.must.map((condition) => {
    if (condition.anyOf !== undefined) {
      const terms = condition.anyOf.map((value) => sqlString(filterTerm(condition.key, value)));
      return `array_has_any(filter_terms, make_array(${terms.join(', ')}))`;
    }
    return `array_has(filter_terms, ${sqlString(filterTerm(condition.key, condition.equals ?? ''))})`;
  });
  return clauses.length === 0 ? undefined : clauses.join(' AND ');
}

/** A SQL string literal: DataFusion reads `''` as one quote and gives backslashes no meaning. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
