import { type Filter, InvalidQueryError, type JsonValue } from '../document-store.js';
import { assertFieldPath } from './field-names.js';
import { assertJsonValue, isPlainObject } from './json-values.js';

export type RangeOperator = 'lt' | 'lte' | 'gt' | 'gte';

/**
 * A validated filter, the one form both adapters compile (to MongoDB operators and to SQL).
 * Equality keeps MongoDB's meaning: a scalar also matches an array field containing it, and
 * `null` also matches a missing field. `$exists: true` becomes `ne null`, `$exists: false` `eq null`,
 * which is the port's definition ("present and not null").
 */
export type Predicate =
  | { kind: 'and'; predicates: Predicate[] }
  | { kind: 'or'; predicates: Predicate[] }
  | { kind: 'eq'; field: string; value: JsonValue }
  | { kind: 'ne'; field: string; value: JsonValue }
  | { kind: 'in'; field: string; values: JsonValue[] }
  | { kind: 'range'; field: string; operator: RangeOperator; value: number | string };

const MATCH_ALL: Predicate = { kind: 'and', predicates: [] };

const OPERATORS = new Set(['$eq', '$ne', '$in', '$lt', '$lte', '$gt', '$gte', '$exists']);

/**
 * Validates a port filter and turns it into a `Predicate`. Anything unexpected is an
 * `InvalidQueryError` rather than being ignored: an undefined value (`{ tenantId: undefined }`)
 * would otherwise silently widen a query to every tenant.
 */
export function parseFilter(filter: Filter | undefined): Predicate {
  if (filter === undefined) return MATCH_ALL;
  return parseConjunction(filter, 'filter');
}

function parseConjunction(filter: unknown, where: string): Predicate {
  if (!isPlainObject(filter)) throw new InvalidQueryError(`${where} must be a plain object`);
  const predicates: Predicate[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$or') {
      predicates.push(parseOr(condition, `${where}.$or`));
      continue;
    }
    if (key.startsWith('$')) throw new InvalidQueryError(`${where}: unsupported operator ${key}`);
    assertFieldPath(key);
    predicates.push(...parseFieldCondition(key, condition, `${where}.${key}`));
  }
  return predicates.length === 1 ? (predicates[0] as Predicate) : { kind: 'and', predicates };
}

function parseOr(alternatives: unknown, where: string): Predicate {
  if (!Array.isArray(alternatives) || alternatives.length === 0) {
    throw new InvalidQueryError(`${where} must be a non-empty array of filters`);
  }
  return { kind: 'or', predicates: alternatives.map((item, index) => parseConjunction(item, `${where}[${index}]`)) };
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$'));
}

function parseFieldCondition(field: string, condition: unknown, where: string): Predicate[] {
  if (condition === undefined) {
    throw new InvalidQueryError(`${where} is undefined (omit the field to match any value)`);
  }
  if (!isOperatorObject(condition)) {
    assertJsonValue(condition, where);
    return [{ kind: 'eq', field, value: condition }];
  }
  const predicates: Predicate[] = [];
  for (const [operator, operand] of Object.entries(condition)) {
    if (!OPERATORS.has(operator)) {
      throw new InvalidQueryError(`${where}: unsupported operator ${operator} (or a key mixing operators and fields)`);
    }
    if (operand === undefined) throw new InvalidQueryError(`${where}.${operator} is undefined`);
    predicates.push(parseOperator(field, operator, operand, `${where}.${operator}`));
  }
  return predicates;
}

function parseOperator(field: string, operator: string, operand: unknown, where: string): Predicate {
  switch (operator) {
    case '$eq':
    case '$ne':
      assertJsonValue(operand, where);
      return { kind: operator === '$eq' ? 'eq' : 'ne', field, value: operand };
    case '$in':
      if (!Array.isArray(operand)) throw new InvalidQueryError(`${where} must be an array`);
      assertJsonValue(operand, where);
      return { kind: 'in', field, values: operand };
    case '$exists':
      if (typeof operand !== 'boolean') throw new InvalidQueryError(`${where} must be true or false`);
      return { kind: operand ? 'ne' : 'eq', field, value: null };
    default: {
      const isFiniteNumber = typeof operand === 'number' && Number.isFinite(operand);
      if (!isFiniteNumber && typeof operand !== 'string') {
        throw new InvalidQueryError(`${where} must be a finite number or a string`);
      }
      return { kind: 'range', field, operator: operator.slice(1) as RangeOperator, value: operand };
    }
  }
}

/** Joins predicates with AND, dropping match-all parts. */
export function allOf(...predicates: Predicate[]): Predicate {
  const parts = predicates.filter((predicate) => !(predicate.kind === 'and' && predicate.predicates.length === 0));
  return parts.length === 1 ? (parts[0] as Predicate) : { kind: 'and', predicates: parts };
}
