import type { Sort } from '../document-store.js';
import type { CursorPosition } from '../query/cursor.js';
import { ID_FIELD } from '../query/field-names.js';
import type { Predicate, RangeOperator } from '../query/filter.js';

/** A SQL fragment and the values bound to its `?` placeholders, in order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
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
 * MongoDB matches an array field when any element satisfies the condition. `elementCondition`
 * tests one element (`e.type`, `e.value`). The leading range on the field expression is always
 * true for arrays (their JSON text starts with "[") and lets SQLite seek the field's expression
 * index for this branch too, so an equality on an indexed field stays an index lookup.
 */
function anyElement(field: string, elementCondition: string): string {
  const value = fieldExpression(field);
  return (
    `(${value} >= '[' AND ${value} < '\\' AND ${typeExpression(field)} = 'array' AND ` +
    `EXISTS (SELECT 1 FROM json_each(doc, ${jsonPath(field)}) AS e WHERE ${elementCondition}))`
  );
}

/**
 * Equality with MongoDB's meaning, JSON types kept apart (1 is not "1", true is not 1): null also
 * matches a missing field; any value also matches an array containing it.
 */
function equals(field: string, value: unknown): SqlFragment {
  if (field === ID_FIELD) return typeof value === 'string' ? { sql: 'id = ?', params: [value] } : FALSE;
  const expression = fieldExpression(field);
  const types = jsonTypes(value);
  if (value === null) {
    return { sql: `(${expression} IS NULL OR ${anyElement(field, `e.type = 'null'`)})`, params: [] };
  }
  if (typeof value === 'boolean') {
    // json_extract reads booleans as 1 and 0: compare that (indexable), then tell them from numbers.
    const bit = value ? 1 : 0;
    const scalar = `(${expression} = ${bit} AND ${typeExpression(field)} IN ${types})`;
    return { sql: `(${scalar} OR ${anyElement(field, `e.type IN ${types}`)})`, params: [] };
  }
  const isContainer = typeof value === 'object';
  const bound = isContainer ? JSON.stringify(value) : value;
  const placeholder = isContainer ? 'json(?)' : '?';
  const scalar = `(${expression} = ${placeholder} AND ${typeExpression(field)} IN ${types})`;
  const element = `e.type IN ${types} AND e.value = ${placeholder}`;
  return { sql: `(${scalar} OR ${anyElement(field, element)})`, params: [bound, bound] };
}

function range(field: string, operator: RangeOperator, value: number | string): SqlFragment {
  const op = RANGE_SQL[operator];
  if (field === ID_FIELD) return typeof value === 'string' ? { sql: `id ${op} ?`, params: [value] } : FALSE;
  // Like MongoDB, a range only compares values of its own type: numbers with numbers, strings with strings.
  const types = jsonTypes(value);
  const scalar = `(${fieldExpression(field)} ${op} ? AND ${typeExpression(field)} IN ${types})`;
  const element = `e.type IN ${types} AND e.value ${op} ?`;
  return { sql: `(${scalar} OR ${anyElement(field, element)})`, params: [value, value] };
}

function join(parts: SqlFragment[], operator: 'AND' | 'OR'): SqlFragment {
  return {
    sql: `(${parts.map((part) => part.sql).join(` ${operator} `)})`,
    params: parts.flatMap((part) => part.params),
  };
}

/** Compiles a validated predicate to a WHERE condition over `(id, doc)`. */
export function toSqlCondition(predicate: Predicate): SqlFragment {
  switch (predicate.kind) {
    case 'and':
      return predicate.predicates.length === 0 ? TRUE : join(predicate.predicates.map(toSqlCondition), 'AND');
    case 'or':
      return join(predicate.predicates.map(toSqlCondition), 'OR');
    case 'eq':
      return equals(predicate.field, predicate.value);
    case 'ne': {
      // The equality is NULL when the field is missing; "IS NOT 1" reads that as "not equal", as MongoDB does.
      const equality = equals(predicate.field, predicate.value);
      return { sql: `(${equality.sql}) IS NOT 1`, params: equality.params };
    }
    case 'in':
      return predicate.values.length === 0
        ? FALSE
        : join(
            predicate.values.map((value) => equals(predicate.field, value)),
            'OR',
          );
    case 'range':
      return range(predicate.field, predicate.operator, predicate.value);
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
