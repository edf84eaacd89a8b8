import { describe, expect, it } from 'vitest';
import { fakeService } from './fake-service';
import { countMatching, describeFilter, filterOf, MAX_BULK_ITEMS } from './selection';

const pages = (perPage: number, total: number) => ({
  'GET /v1/reviews': (call: { query: URLSearchParams }) => {
    const page = Number(call.query.get('cursor') ?? 0);
    const left = total - page * perPage;
    return {
      body: {
        items: Array.from({ length: Math.min(perPage, left) }, (_, index) => ({ id: `i${page}-${index}` })),
        nextCursor: left > perPage ? String(page + 1) : null,
      },
    };
  },
});

describe('the lead selection', () => {
  it('counts every page of the filter with the same query the list uses', async () => {
    const { api, calls } = fakeService(pages(100, 250));
    await expect(countMatching(api, { queueId: 'billing', status: 'pending', reason: '' })).resolves.toBe(250);
    expect(calls.map((call) => Object.fromEntries(call.query))).toEqual([
      { queueId: 'billing', status: 'pending', limit: '100' },
      { queueId: 'billing', status: 'pending', limit: '100', cursor: '1' },
      { queueId: 'billing', status: 'pending', limit: '100', cursor: '2' },
    ]);
  });

  it('refuses a selection larger than one bulk action may change', async () => {
    const { api } = fakeService(pages(100, MAX_BULK_ITEMS + 1));
    await expect(countMatching(api, { queueId: '', status: '', reason: '' })).rejects.toThrow(/narrow the filter/);
  });

  it('leaves unset fields out of the filter and says what it selects', () => {
    expect(filterOf({ queueId: '', status: 'claimed', reason: 'LOW_SCORE' })).toEqual({
      status: 'claimed',
      reason: 'LOW_SCORE',
    });
    expect(describeFilter({ queueId: 'q1', status: '', reason: '' }, () => 'Billing')).toBe(
      'queue Billing, open (pending or claimed)',
    );
  });
});
