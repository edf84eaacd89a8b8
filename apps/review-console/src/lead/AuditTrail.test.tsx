// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from './AuditTrail';
import { fakeService } from './fake-service';

afterEach(cleanup);

const entry = (id: string, action: string) => ({
  id,
  at: '2026-01-01T10:00:00.000Z',
  actor: 'alice',
  action,
  reviewId: 'rev-1',
  queueId: 'default',
  detail: { outcome: 'approved' },
});

describe('the audit trail', () => {
  it('filters by item and actor and pages with the cursor', async () => {
    const { api, calls } = fakeService({
      'GET /v1/audit': (call) =>
        call.query.get('cursor') === 'c2'
          ? { body: { items: [entry('e3', 'claim')], nextCursor: null } }
          : { body: { items: [entry('e1', 'decision'), entry('e2', 'comment')], nextCursor: 'c2' } },
    });
    render(
      <MemoryRouter>
        <AuditTrail api={api} />
      </MemoryRouter>,
    );
    const table = await screen.findByRole('table', { name: 'Audit entries' });
    expect(await within(table).findByText('decision')).toBeTruthy();
    expect(within(table).getAllByText('{"outcome":"approved"}', { selector: 'td' })).toHaveLength(2);

    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Item id'), 'rev-1');
    await user.type(screen.getByLabelText('Actor'), 'alice');
    await user.click(screen.getByRole('button', { name: 'Search the audit trail' }));
    await user.click(screen.getByRole('button', { name: 'Older' }));
    expect(await within(table).findByText('claim')).toBeTruthy();
    expect(within(table).queryByText('decision')).toBeNull();

    const audited = calls.filter((call) => call.path === '/v1/audit').map((call) => Object.fromEntries(call.query));
    expect(audited.at(-2)).toEqual({ reviewId: 'rev-1', actor: 'alice', limit: '50' });
    expect(audited.at(-1)).toEqual({ reviewId: 'rev-1', actor: 'alice', limit: '50', cursor: 'c2' });
    await user.click(screen.getByRole('button', { name: 'Newer' }));
    expect(await within(table).findByText('decision')).toBeTruthy();
  });
});
