import type { PayloadCondition, PayloadValue } from '../vector-index.js';

/** Codes a column holds besides dictionary codes (>= 0). */
const missing = -1;
const nonEmptyArray = -2;
const emptyArray = -3;

interface Column {
  /** Per slot: a dictionary code for a scalar, or one of the markers above. */
  codes: Int32Array;
  /** Per slot: the value when it is a number, NaN otherwise (range conditions read only this). */
  numbers: Float64Array;
  /** Per slot holding a non-empty array: where its elements' codes start in `pool`, and how many. */
  listStart: Int32Array;
  listLength: Int32Array;
  /** Element codes of every array, appended (a cleared row's stay until memory is rebuilt). */
  pool: Int32Array;
  poolSize: number;
  dictionary: Map<string, number>;
  /**
   * Per dictionary code: the slots that were given it (a scalar, or an array element), in order.
   * Entries of cleared slots stay; readers re-check every slot they take from here.
   */
  postings: Int32Array[];
  postingSizes: number[];
}

/** The slots a condition can only hold for, read from the postings (may repeat or be stale). */
export interface Candidates {
  lists: Int32Array[];
  sizes: number[];
  total: number;
}

/**
 * The payloads of a collection as compact columns, one per key, so that a filter is evaluated
 * as integer and float comparisons over typed arrays instead of property lookups on 100,000
 * objects. Each scalar is dictionary-coded by type and value (`2` and `"2"` get different codes),
 * arrays keep their elements' codes, numbers are also kept as floats for ranges, and every code
 * has a posting list of its slots, so that an `equals`/`anyOf` condition (the tenant) can name
 * its candidate rows without a scan. Matching follows `conditionMatches` exactly; the contract
 * suite and a randomised unit test hold it to that.
 */
export class PayloadColumns {
  private readonly columns = new Map<string, Column>();
  private capacity = 0;

  set(slot: number, payload: Readonly<Record<string, PayloadValue>>): void {
    this.ensureCapacity(slot + 1);
    for (const [key, value] of Object.entries(payload)) {
      const column = this.column(key);
      if (Array.isArray(value)) {
        column.codes[slot] = value.length === 0 ? emptyArray : nonEmptyArray;
        if (value.length > 0) appendList(column, slot, value);
      } else {
        const code = codeOf(column, value, true);
        column.codes[slot] = code;
        post(column, code, slot);
        if (typeof value === 'number') column.numbers[slot] = value;
      }
    }
  }

  clear(slot: number): void {
    for (const column of this.columns.values()) {
      if (slot >= column.codes.length) continue;
      column.codes[slot] = missing;
      column.numbers[slot] = Number.NaN;
      column.listLength[slot] = 0;
    }
  }

  /**
   * For `equals` and `anyOf`: the slots given one of the wanted values, from the postings, so a
   * selective filter (a tenant) is evaluated over its own rows instead of every row. Undefined for
   * `range` and `exists`, which the postings cannot answer.
   */
  candidates(condition: PayloadCondition): Candidates | undefined {
    const values = condition.equals !== undefined ? [condition.equals] : condition.anyOf;
    if (values === undefined) return undefined;
    const found: Candidates = { lists: [], sizes: [], total: 0 };
    const column = this.columns.get(condition.key);
    if (!column) return found;
    for (const value of new Set(values)) {
      const code = codeOf(column, value, false);
      const list = code === missing ? undefined : column.postings[code];
      if (!list) continue;
      const size = column.postingSizes[code] ?? 0;
      found.lists.push(list);
      found.sizes.push(size);
      found.total += size;
    }
    return found;
  }

  /** Clears `mask[slot]` for every slot below `slots` that fails the condition. */
  narrow(mask: Uint8Array, slots: number, condition: PayloadCondition): void {
    const holds = this.tester(condition);
    for (let slot = 0; slot < slots; slot++) if (mask[slot] === 1 && !holds(slot)) mask[slot] = 0;
  }

  /**
   * The condition compiled against the columns as they are now (valid until the next `set`):
   * integer and float comparisons on typed arrays, no property lookups.
   */
  tester(condition: PayloadCondition): (slot: number) => boolean {
    const column = this.columns.get(condition.key);
    // No row has the key: only `exists: false` holds, and it holds everywhere.
    if (!column) return condition.exists === false ? () => true : () => false;
    const { codes, numbers, listStart, listLength, pool } = column;
    if (condition.exists !== undefined) {
      const wanted = condition.exists;
      return (slot) => {
        const code = codes[slot] as number;
        return (code !== missing && code !== emptyArray) === wanted;
      };
    }
    if (condition.range !== undefined) {
      const { gt, gte, lt, lte } = condition.range;
      // NaN (not a number) fails every comparison.
      return (slot) => {
        const value = numbers[slot] as number;
        return (
          !Number.isNaN(value) &&
          (gt === undefined || value > gt) &&
          (gte === undefined || value >= gte) &&
          (lt === undefined || value < lt) &&
          (lte === undefined || value <= lte)
        );
      };
    }
    // equals and anyOf: the codes the row may hold (arrays hold strings only).
    const wanted = new Uint8Array(column.dictionary.size);
    const values = condition.equals !== undefined ? [condition.equals] : (condition.anyOf ?? []);
    let arraysMayMatch = false;
    for (const value of values) {
      const code = codeOf(column, value, false);
      if (code === missing) continue;
      wanted[code] = 1;
      if (typeof value === 'string') arraysMayMatch = true;
    }
    return (slot) => {
      const code = codes[slot] as number;
      if (code >= 0) return wanted[code] === 1;
      if (code !== nonEmptyArray || !arraysMayMatch) return false;
      const end = (listStart[slot] as number) + (listLength[slot] as number);
      for (let i = listStart[slot] as number; i < end; i++) if (wanted[pool[i] as number] === 1) return true;
      return false;
    };
  }

  private column(key: string): Column {
    let column = this.columns.get(key);
    if (!column) {
      column = {
        codes: new Int32Array(this.capacity).fill(missing),
        numbers: new Float64Array(this.capacity).fill(Number.NaN),
        listStart: new Int32Array(this.capacity),
        listLength: new Int32Array(this.capacity),
        pool: new Int32Array(1024),
        poolSize: 0,
        dictionary: new Map(),
        postings: [],
        postingSizes: [],
      };
      this.columns.set(key, column);
    }
    return column;
  }

  private ensureCapacity(slots: number): void {
    if (slots <= this.capacity) return;
    const capacity = Math.max(slots, this.capacity * 2, 1024);
    for (const column of this.columns.values()) {
      const codes = new Int32Array(capacity).fill(missing);
      codes.set(column.codes);
      column.codes = codes;
      const numbers = new Float64Array(capacity).fill(Number.NaN);
      numbers.set(column.numbers);
      column.numbers = numbers;
      const listStart = new Int32Array(capacity);
      listStart.set(column.listStart);
      column.listStart = listStart;
      const listLength = new Int32Array(capacity);
      listLength.set(column.listLength);
      column.listLength = listLength;
    }
    this.capacity = capacity;
  }
}

function post(column: Column, code: number, slot: number): void {
  let list = column.postings[code];
  const size = column.postingSizes[code] ?? 0;
  if (!list || size === list.length) {
    const grown = new Int32Array(Math.max(8, size * 2));
    if (list) grown.set(list);
    list = grown;
    column.postings[code] = list;
  }
  list[size] = slot;
  column.postingSizes[code] = size + 1;
}

function appendList(column: Column, slot: number, items: readonly string[]): void {
  if (column.poolSize + items.length > column.pool.length) {
    const pool = new Int32Array(Math.max(column.pool.length * 2, column.poolSize + items.length));
    pool.set(column.pool);
    column.pool = pool;
  }
  column.listStart[slot] = column.poolSize;
  column.listLength[slot] = items.length;
  for (const item of items) {
    const code = codeOf(column, item, true);
    column.pool[column.poolSize++] = code;
    post(column, code, slot);
  }
}

/** The dictionary code of a scalar, added when `add`; `missing` when absent and not added. */
function codeOf(column: Column, value: string | number | boolean, add: boolean): number {
  const token = `${typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : 'b'}:${String(value)}`;
  let code = column.dictionary.get(token);
  if (code === undefined) {
    if (!add) return missing;
    code = column.dictionary.size;
    column.dictionary.set(token, code);
  }
  return code;
}
