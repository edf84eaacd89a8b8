import type Database from 'better-sqlite3';
import type { JsonValue, Sort } from '../document-store.js';
import type { CursorPosition } from '../query/cursor.js';
import { ID_FIELD } from '../query/field-names.js';
import type { Predicate, RangeOperator } from '../query/filter.js';

/** A SQL fragment and the values bound to its `?` placeholders, in order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** Prepares (and caches) statements; shared by every collection of one database. */
export type Prepare = (sql: string) => Database.Statement;

/** A table or index name; callers pass validated collection names only, so no quote can occur. */
export function quoteIdentifier(name: string): string {
  return `"${name}"`;
}

const RANGE_SQL: Record<RangeOperator, string> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };
const TRUE: SqlFragment = { sql: '1', params: [] };
const FALSE: SqlFragment = { sql: '0', params: [] };

/** `$.a.b` for a validated field path (plain identifiers only, so it is safe inside a SQL literal). */
function jsonPath(field: string): string {
  return `'$.${field}'`;
}

/**
 * The indexed expression for a field. Declared indexes are built on exactly this text, because
 * SQLite only uses an expression index when the query repeats the expression literally: that is
 * why paths are validated literals here and never bound parameters.
 */
export function fieldExpression(field: string): string {
  return field === ID_FIELD ? 'id' : `json_extract(doc, ${jsonPath(field)})`;
}

function typeExpression(field: string): string {
  return `json_type(doc, ${jsonPath(field)})`;
}

/** The SQLite `json_type` names of a JSON value's type, as a SQL list. */
function jsonTypes(value: unknown): string {
  if (value === null) return `('null')`;
  if (value === true) return `('true')`;
  if (value === false) return `('false')`;
  if (typeof value === 'number') return `('integer','real')`;
  if (typeof value === 'string') return `('text')`;
  return Array.isArray(value) ? `('array')` : `('object')`;
}

/**
 * Rows whose field holds an array. The leading range on the field expression is always true for
 * arrays (their JSON text starts with "[") and lets SQLite seek the field's expression index, so
 * finding the arrays of an indexed field is an index range, not a scan.
 */
export function holdsArray(field: string): string {
  const value = fieldExpression(field);
  return `(${value} >= '[' AND ${value} < '\\' AND ${typeExpression(field)} = 'array')`;
}

/**
 * Fields known to hold no array in any row a statement can see (see `array-fields.ts`). Their
 * conditions compile without the array branch: a plain comparison SQLite can seek an index with
 * and read it in order, where `scalar OR array` makes it merge two lookups and sort the result.
 */
export type ScalarFields = ReadonlySet<string>;

/** Assumes nothing: every field may hold an array. */
export const NO_SCALAR_FIELDS: ScalarFields = new Set();

/**
 * MongoDB matches an array field when any element satisfies the condition: `scalar` tests the
 * field's own value; `element` tests one element (`e.type`, `e.value`). The array branch is left
 * out for a field no visible row holds an array in.
 */
function orAnyElement(
  field: string,
  scalar: SqlFragment,
  element: SqlFragment,
  scalarFields: ScalarFields,
): SqlFragment {
  if (scalarFields.has(field)) return scalar;
  const anyElement = `EXISTS (SELECT 1 FROM json_each(doc, ${jsonPath(field)}) AS e WHERE ${element.sql})`;
  return {
    sql: `(${scalar.sql} OR (${holdsArray(field)} AND ${anyElement}))`,
    params: [...scalar.params, ...element.params],
  };
}

/**
 * Whether `json_extract(…) = value` alone already rules out every other JSON type. json_extract
 * returns strings as TEXT, numbers as INTEGER or REAL, booleans as 1 and 0, and objects and arrays
 * as their JSON text, which starts with "{" or "["; SQLite never finds a number equal to a text.
 * So only 0 and 1 (booleans) and texts starting with "{" or "[" (containers) need the json_type
 * test. Leaving it out elsewhere spares reading and parsing every candidate row: a count, or a
 * listing that has to sort its matches, can then run on the index alone.
 */
function comparesOnlyWithItsType(value: string | number): boolean {
  if (typeof value === 'number') return value !== 0 && value !== 1;
  return !value.startsWith('{') && !value.startsWith('[');
}

/**
 * Equality with MongoDB's meaning, JSON types kept apart (1 is not "1", true is not 1): null also
 * matches a missing field; any value also matches an array containing it.
 */
function equals(field: string, value: JsonValue, scalarFields: ScalarFields): SqlFragment {
  if (field === ID_FIELD) return typeof value === 'string' ? { sql: 'id = ?', params: [value] } : FALSE;
  const expression = fieldExpression(field);
  const types = jsonTypes(value);
  if (value === null) {
    const missing = { sql: `(${expression} IS NULL)`, params: [] };
    return orAnyElement(field, missing, { sql: `e.type = 'null'`, params: [] }, scalarFields);
  }
  if (typeof value === 'boolean') {
    // json_extract reads booleans as 1 and 0: compare that (indexable), then tell them from numbers.
    const bit = value ? 1 : 0;
    const scalar = { sql: `(${expression} = ${bit} AND ${typeExpression(field)} IN ${types})`, params: [] };
    return orAnyElement(field, scalar, { sql: `e.type IN ${types}`, params: [] }, scalarFields);
  }
  if (typeof value === 'object') {
    const bound = JSON.stringify(value);
    const scalar = { sql: `(${expression} = json(?) AND ${typeExpression(field)} IN ${types})`, params: [bound] };
    return orAnyElement(
      field,
      scalar,
      { sql: `e.type IN ${types} AND e.value = json(?)`, params: [bound] },
      scalarFields,
    );
  }
  const scalar = comparesOnlyWithItsType(value)
    ? { sql: `(${expression} = ?)`, params: [value] }
    : { sql: `(${expression} = ? AND ${typeExpression(field)} IN ${types})`, params: [value] };
  const element = { sql: `e.type IN ${types} AND e.value = ?`, params: [value] };
  return orAnyElement(field, scalar, element, scalarFields);
}

function range(
  field: string,
  operator: RangeOperator,
  value: number | string,
  scalarFields: ScalarFields,
): SqlFragment {
  const op = RANGE_SQL[operator];
  if (field === ID_FIELD) return typeof value === 'string' ? { sql: `id ${op} ?`, params: [value] } : FALSE;
  // Like MongoDB, a range only compares values of its own type: numbers with numbers, strings with strings.
  const types = jsonTypes(value);
  const scalar = {
    sql: `(${fieldExpression(field)} ${op} ? AND ${typeExpression(field)} IN ${types})`,
    params: [value],
  };
  const element = { sql: `e.type IN ${types} AND e.value ${op} ?`, params: [value] };
  return orAnyElement(field, scalar, element, scalarFields);
}

function join(parts: SqlFragment[], operator: 'AND' | 'OR'): SqlFragment {
  return {
    sql: `(${parts.map((part) => part.sql).join(` ${operator} `)})`,
    params: parts.flatMap((part) => part.params),
  };
}

/**
 * Compiles a validated predicate to a WHERE condition over `(id, doc)`. `scalarFields` must hold
 * only fields that no row the statement can see holds an array in; by default none.
 */
export function toSqlCondition(predicate: Predicate, scalarFields: ScalarFields = NO_SCALAR_FIELDS): SqlFragment {
  const compile = (part: Predicate): SqlFragment => toSqlCondition(part, scalarFields);
  switch (predicate.kind) {
    case 'and':
      return predicate.predicates.length === 0 ? TRUE : join(predicate.predicates.map(compile), 'AND');
    case 'or':
      return join(predicate.predicates.map(compile), 'OR');
    case 'eq':
      return equals(predicate.field, predicate.value, scalarFields);
    case 'ne': {
      // The equality is NULL when the field is missing; "IS NOT 1" reads that as "not equal", as MongoDB does.
      const equality = equals(predicate.field, predicate.value, scalarFields);
      return { sql: `(${equality.sql}) IS NOT 1`, params: equality.params };
    }
    case 'in':
      return predicate.values.length === 0
        ? FALSE
        : join(
            predicate.values.map((value) => equals(predicate.field, value, scalarFields)),
            'OR',
          );
    case 'range':
      return range(predicate.field, predicate.operator, predicate.value, scalarFields);
  }
}

/** `ORDER BY` for a page: the field, then id, both in the requested direction. */
export function toSqlOrder(sort: Sort): string {
  const direction = sort.direction === 'asc' ? 'ASC' : 'DESC';
  if (sort.field === ID_FIELD) return `id ${direction}`;
  return `${fieldExpression(sort.field)} ${direction}, id ${direction}`;
}

/**
 * The rows after the cursor, as one or two conditions to read in turn: SQLite orders NULL (and
 * missing) first ascending and last descending, so the rest of the cursor's segment (NULL or not)
 * comes first, then, if the page is not full, the following segment from its start. Each condition
 * is a plain AND of comparisons on the sort expression, so SQLite seeks the field's index to the
 * cursor instead of sorting every remaining row (an `... OR field IS NULL` would defeat the index).
 * Together they give exactly the order of the shared keyset predicate the MongoDB adapter uses.
 */
export function keysetSegments(sort: Sort, position: CursorPosition): SqlFragment[] {
  const asc = sort.direction === 'asc';
  const after = asc ? '>' : '<';
  if (sort.field === ID_FIELD) return [{ sql: `id ${after} ?`, params: [position.id] }];
  const value = fieldExpression(sort.field);
  const restOfNulls = { sql: `(${value} IS NULL AND id ${after} ?)`, params: [position.id] };
  if (position.value === null) {
    return asc ? [restOfNulls, { sql: `${value} IS NOT NULL`, params: [] }] : [restOfNulls];
  }
  const restOfValues = {
    sql: `(${value} ${after}= ? AND (${value} ${after} ? OR id ${after} ?))`,
    params: [position.value, position.value, position.id],
  };
  return asc ? [restOfValues] : [restOfValues, { sql: `${value} IS NULL`, params: [] }];
}

/**
 * One page of rows: those matching every condition, in the sort's order, at most `limit`.
 * `table` is an already quoted identifier.
 */
export function selectPage(table: string, conditions: SqlFragment[], sort: Sort, limit: number): SqlFragment {
  const where = conditions.map((condition) => condition.sql).join(' AND ');
  return {
    sql: `SELECT id, doc FROM ${table} WHERE ${where} ORDER BY ${toSqlOrder(sort)} LIMIT ?`,
    params: [...conditions.flatMap((condition) => condition.params), limit],
  };
}
