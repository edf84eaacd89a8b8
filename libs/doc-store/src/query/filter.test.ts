import { describe, expect, it } from 'vitest';
import { allOf, parseFilter } from './filter.js';

describe('parseFilter', () => {
  it('turns bare values and operators into predicates', () => {
    expect(parseFilter({ status: 'pending', priority: { $gte: 2, $lt: 5 }, done: { $exists: false } })).toEqual({
      kind: 'and',
      predicates: [
        { kind: 'eq', field: 'status', value: 'pending' },
        { kind: 'range', field: 'priority', operator: 'gte', value: 2 },
        { kind: 'range', field: 'priority', operator: 'lt', value: 5 },
        { kind: 'eq', field: 'done', value: null },
      ],
    });
    expect(parseFilter({ owner: { $exists: true } })).toEqual({ kind: 'ne', field: 'owner', value: null });
    expect(parseFilter(undefined)).toEqual({ kind: 'and', predicates: [] });
  });

  it('keeps an object without operators as an equality value', () => {
    expect(parseFilter({ meta: { source: 'web' } })).toEqual({ kind: 'eq', field: 'meta', value: { source: 'web' } });
  });

  it('parses $or alternatives as conjunctions', () => {
    expect(parseFilter({ $or: [{ a: 1 }, { b: 2, c: 3 }] })).toEqual({
      kind: 'or',
      predicates: [
        { kind: 'eq', field: 'a', value: 1 },
        {
          kind: 'and',
          predicates: [
            { kind: 'eq', field: 'b', value: 2 },
            { kind: 'eq', field: 'c', value: 3 },
          ],
        },
      ],
    });
  });

  it('names what is wrong', () => {
    expect(() => parseFilter({ tenantId: undefined })).toThrow(/filter\.tenantId is undefined/);
    expect(() => parseFilter({ a: { $regex: 'x' } })).toThrow(/unsupported operator \$regex/);
    expect(() => parseFilter({ $and: [] } as never)).toThrow(/unsupported operator \$and/);
    expect(() => parseFilter({ a: { $in: 'x' } } as never)).toThrow(/must be an array/);
    expect(() => parseFilter({ a: { $lt: Number.NaN } })).toThrow(/finite number or a string/);
    expect(() => parseFilter({ a: new Date() } as never)).toThrow(/Date/);
  });

  it('allOf drops match-all parts', () => {
    const eq = { kind: 'eq', field: 'a', value: 1 } as const;
    expect(allOf(parseFilter(undefined), eq)).toEqual(eq);
    expect(allOf(parseFilter(undefined))).toEqual({ kind: 'and', predicates: [] });
  });
});
