// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReviewItem } from '../api/types';
import { fakeService, type RecordedCall } from './fake-service';
import { LeadItems } from './LeadItems';

afterEach(cleanup);

const item = (id: string, overrides: Partial<ReviewItem> = {}): ReviewItem => ({
  id,
  requestId: `req-${id}`,
  traceId: 't',
  reason: 'LOW_SCORE',
  detail: '',
  question: `Question ${id}?`,
  answer: 'An answer.',
  citations: [],
  contexts: [],
  score: 0.3,
  requestedBy: 'evaluation',
  requestedAt: null,
  status: 'claimed',
  claimedBy: 'Alice',
  leaseExpiresAt: null,
  decision: null,
  queueId: 'billing',
  priority: 60,
  dueAt: '2026-01-01T10:00:00.000Z',
  slaBreached: false,
  createdAt: '2026-01-01T09:00:00.000Z',
  updatedAt: '2026-01-01T09:00:00.000Z',
  ...overrides,
});

const queues = {
  items: [
    { id: 'default', name: 'Default', match: {}, order: 1000, reviewersPerItem: 1 },
    { id: 'billing', name: 'Billing', match: { reasons: ['LOW_SCORE'] }, order: 1, reviewersPerItem: 2 },
  ],
};

/** The service's list: `matching` items split into pages of `pageSize`, cursors "p1", "p2"... */
function listOf(matching: () => ReviewItem[], pageSize = 2) {
  return (call: RecordedCall) => {
    const start = Number(call.query.get('cursor')?.slice(1) ?? 0) * pageSize;
    const all = matching();
    const end = start + pageSize;
    return { body: { items: all.slice(start, end), nextCursor: end < all.length ? `p${end / pageSize}` : null } };
  };
}

function renderItems(api: ReturnType<typeof fakeService>['api']) {
  render(
    <MemoryRouter>
      <LeadItems api={api} />
    </MemoryRouter>,
  );
}

describe('the lead items screen', () => {
  it('lists the items of the filter it is given, and sends only the fields set', async () => {
    const { api, calls } = fakeService({
      'GET /v1/queues': () => ({ body: queues }),
      'GET /v1/reviews': listOf(() => [item('a'), item('b', { slaBreached: true })]),
    });
    renderItems(api);
    const table = await screen.findByRole('table', { name: 'Matching items' });
    expect(await within(table).findByRole('link', { name: 'Question a?' })).toHaveProperty(
      'href',
      'http://localhost:3000/items/a',
    );
    expect(within(table).getByText(/SLA breached/)).toBeTruthy();

    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Queue'), 'billing');
    await user.selectOptions(screen.getByLabelText('Status'), 'claimed');
    await user.click(screen.getByRole('button', { name: 'Apply filter' }));
    const last = calls.filter((call) => call.path === '/v1/reviews').at(-1);
    expect(Object.fromEntries(last?.query ?? [])).toEqual({ queueId: 'billing', status: 'claimed', limit: '50' });
  });

  it('counts every page of the filter, confirms, and sends that count as expectedCount', async () => {
    let open = [item('a'), item('b'), item('c')];
    const { api, calls } = fakeService({
      'GET /v1/queues': () => ({ body: queues }),
      'GET /v1/reviews': listOf(() => open),
      'POST /v1/reviews:bulk': () => {
        const changed = open.length;
        open = [];
        return { body: { matched: changed, changed } };
      },
    });
    renderItems(api);
    const user = userEvent.setup();
    await screen.findByRole('link', { name: 'Question a?' });
    await user.click(screen.getByRole('button', { name: 'Count matching items' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toMatch(/Release claims: 3 items matching every queue, open/);
    await user.click(within(dialog).getByRole('button', { name: 'Confirm bulk action' }));

    expect(await screen.findByText('Released 3 of 3 items.')).toBeTruthy();
    const bulk = calls.find((call) => call.path === '/v1/reviews:bulk');
    expect(bulk?.body).toEqual({ filter: {}, action: 'release', expectedCount: 3 });
    expect(await screen.findByText('No items match this filter.')).toBeTruthy();
  });

  it('on a count mismatch changes nothing, shows the new count and asks again', async () => {
    const open = [item('a'), item('b')];
    const sent: unknown[] = [];
    const { api } = fakeService({
      'GET /v1/queues': () => ({ body: queues }),
      'GET /v1/reviews': listOf(() => open),
      'POST /v1/reviews:bulk': (call) => {
        sent.push(call.body);
        const expected = (call.body as { expectedCount: number }).expectedCount;
        if (expected !== open.length) {
          return { status: 409, body: { status: 409, title: 'Conflict', code: 'REVIEW.BULK_COUNT_MISMATCH' } };
        }
        return { body: { matched: open.length, changed: open.length } };
      },
    });
    renderItems(api);
    const user = userEvent.setup();
    await screen.findByRole('link', { name: 'Question a?' });
    await user.selectOptions(screen.getByLabelText('Action'), 'set-priority');
    await user.clear(screen.getByLabelText('New priority'));
    await user.type(screen.getByLabelText('New priority'), '90');
    await user.click(screen.getByRole('button', { name: 'Count matching items' }));
    await screen.findByRole('dialog');
    open.push(item('c'));
    await user.click(screen.getByRole('button', { name: 'Confirm bulk action' }));

    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/The selection changed: 3 items match now, not 2/)).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Confirm bulk action' }));
    expect(await screen.findByText('Reprioritised 3 of 3 items.')).toBeTruthy();
    expect(sent).toEqual([
      { filter: {}, action: 'set-priority', priority: 90, expectedCount: 2 },
      { filter: {}, action: 'set-priority', priority: 90, expectedCount: 3 },
    ]);
  });

  it('refuses an out-of-range priority before asking the service', async () => {
    const { api, calls } = fakeService({
      'GET /v1/queues': () => ({ body: queues }),
      'GET /v1/reviews': listOf(() => [item('a')]),
    });
    renderItems(api);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Action'), 'set-priority');
    await user.clear(screen.getByLabelText('New priority'));
    await user.type(screen.getByLabelText('New priority'), '101');
    await user.click(screen.getByRole('button', { name: 'Count matching items' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/0 to 100/);
    expect(calls.some((call) => call.path === '/v1/reviews:bulk')).toBe(false);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
