import { describe, expect, it } from 'vitest';
import { parseFilter } from '../query/filter.js';
import { toMongoQuery } from './mongo-query.js';

describe('toMongoQuery', () => {
  it('uses the implicit equality form for scalars and $eq for objects, which can never become operators', () => {
    expect(toMongoQuery(parseFilter({ tenantId: 'acme', id: 'r1' }))).toEqual({
      $and: [{ tenantId: 'acme' }, { _id: 'r1' }],
    });
    expect(toMongoQuery(parseFilter({ meta: { $eq: { lang: 'en' } } }))).toEqual({ meta: { $eq: { lang: 'en' } } });
    expect(() => parseFilter({ meta: { $eq: { $gt: '' } } })).toThrow(/invalid key/);
    expect(toMongoQuery(parseFilter({ deletedAt: { $exists: false } }))).toEqual({ deletedAt: null });
  });
});
