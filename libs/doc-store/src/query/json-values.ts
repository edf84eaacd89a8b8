import { InvalidQueryError, type JsonValue } from '../document-store.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Checks that a value survives both JSON (SQLite) and BSON (MongoDB) unchanged, so the two adapters
 * store and return the same thing: no Dates (they come back as strings from one and Dates from the
 * other; timestamps are epoch-ms numbers), no NaN or Infinity, no class instances. Keys must not
 * contain "." or start with "$": MongoDB reads those as paths and operators, and filters could not
 * address them. `undefined` object properties are allowed and dropped, as JSON.stringify does.
 */
export function assertJsonValue(value: unknown, where: string): asserts value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidQueryError(`${where}: numbers must be finite, got ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (item === undefined) throw new InvalidQueryError(`${where}[${index}]: undefined is not a JSON value`);
      assertJsonValue(item, `${where}[${index}]`);
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.length === 0 || key.includes('.') || key.startsWith('$') || key.includes('\0')) {
        throw new InvalidQueryError(`${where}: invalid key ${JSON.stringify(key)} (no ".", no leading "$")`);
      }
      if (item !== undefined) assertJsonValue(item, `${where}.${key}`);
    }
    return;
  }
  const kind = value instanceof Date ? 'a Date (store epoch milliseconds)' : typeof value;
  throw new InvalidQueryError(`${where}: ${kind} is not a JSON value`);
}

/** Reads a dotted path through nested plain objects; undefined when any step is missing. */
export function readPath(document: unknown, path: string): unknown {
  let current: unknown = document;
  for (const segment of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}
