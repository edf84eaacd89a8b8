import { describe, expect, it } from 'vitest';
import { conditionMatches } from '../payload-filter.js';
import { seededRandom } from '../testing/contract-fixtures.js';
import type { PayloadCondition, PayloadValue } from '../vector-index.js';
import { PayloadColumns } from './payload-columns.js';

const values: (PayloadValue | undefined)[] = [
  undefined,
  'a',
  'b',
  '2',
  2,
  2.5,
  -1,
  0,
  true,
  false,
  '',
  [],
  ['a'],
  ['b', '2'],
  ['a', 'c'],
];
const conditions: PayloadCondition[] = [
  { key: 'k', equals: 'a' },
  { key: 'k', equals: '2' },
  { key: 'k', equals: 2 },
  { key: 'k', equals: 2.5 },
  { key: 'k', equals: false },
  { key: 'k', equals: 'zzz' },
  { key: 'k', anyOf: ['a', '2'] },
  { key: 'k', anyOf: ['c'] },
  { key: 'k', anyOf: [] },
  { key: 'k', range: { gte: 0 } },
  { key: 'k', range: { gt: 0, lt: 2.5 } },
  { key: 'k', range: { lte: -1 } },
  { key: 'k', exists: true },
  { key: 'k', exists: false },
  { key: 'other', exists: false },
  { key: 'other', equals: 'a' },
];

describe('PayloadColumns', () => {
  it('admits exactly the rows conditionMatches accepts, through writes and clears', () => {
    const random = seededRandom(3);
    const columns = new PayloadColumns();
    const rows: (Record<string, PayloadValue> | undefined)[] = [];
    for (let slot = 0; slot < 3_000; slot++) {
      const value = values[Math.floor(random() * values.length)];
      const payload: Record<string, PayloadValue> = value === undefined ? { x: 1 } : { k: value };
      rows.push(payload);
      columns.set(slot, payload);
      // Some rows die, as replaced and removed rows do.
      if (random() < 0.1) {
        columns.clear(slot);
        rows[slot] = undefined;
      }
    }
    for (const condition of conditions) {
      const mask = Uint8Array.from(rows, (row) => (row ? 1 : 0));
      columns.narrow(mask, rows.length, condition);
      const expected = rows.map((row) =>
        row && conditionMatches(Object.hasOwn(row, condition.key) ? row[condition.key] : undefined, condition) ? 1 : 0,
      );
      expect([...mask], JSON.stringify(condition)).toEqual(expected);
      // The postings name every matching live row (and perhaps others, which the tester drops).
      const candidates = columns.candidates(condition);
      if (condition.equals === undefined && condition.anyOf === undefined) {
        expect(candidates).toBeUndefined();
        continue;
      }
      const named = new Set<number>();
      candidates?.lists.forEach((list, l) => {
        for (const slot of list.subarray(0, candidates.sizes[l])) named.add(slot);
      });
      const holds = columns.tester(condition);
      const fromPostings = [...named].filter((slot) => rows[slot] !== undefined && holds(slot)).sort((a, b) => a - b);
      const matching = expected.flatMap((admitted, slot) => (admitted === 1 ? [slot] : []));
      expect(fromPostings, JSON.stringify(condition)).toEqual(matching);
    }
  });
});
