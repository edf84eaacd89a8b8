// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Queue } from '../api/types';
import { fakeService } from '../lead/fake-service';
import { draftOf, QueueForm, queueInputOf } from './QueueForm';
import { QueuesAdmin } from './QueuesAdmin';

afterEach(cleanup);

const legal: Queue = {
  id: 'legal',
  tenantId: 'demo',
  name: 'Legal',
  description: 'Escalations about litigation',
  match: { reasons: ['POLICY_ESCALATION'], requestedBy: ['policy'] },
  order: 10,
  basePriority: 70,
  slaMinutes: 60,
  reviewersPerItem: 2,
  rubric: { scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }], categories: [], notes: true },
  counts: { pending: 3, claimed: 1, breached: 1, decidedToday: 4 },
};

describe('the queue editor (admin)', () => {
  it('creates a queue with a routing match and a rubric of scores, categories and notes', async () => {
    const { api, calls } = fakeService({
      'POST /v1/queues': (call) => ({ status: 201, body: { ...(call.body as Queue), tenantId: 'demo' } }),
    });
    const onSaved = vi.fn();
    render(<QueueForm api={api} onSaved={onSaved} onCancel={() => {}} />);
    const user = userEvent.setup();
    const form = screen.getByRole('form', { name: 'New queue' });
    await user.type(within(form).getByLabelText('Queue id'), 'billing');
    await user.type(within(form).getByLabelText('Name'), 'Billing');
    await user.click(within(form).getByRole('checkbox', { name: 'Low score' }));
    await user.type(within(form).getByLabelText('Maximum score'), '0.5');
    await user.clear(within(form).getByLabelText('SLA minutes'));
    await user.type(within(form).getByLabelText('SLA minutes'), '30');
    await user.clear(within(form).getByLabelText('Reviewers per item'));
    await user.type(within(form).getByLabelText('Reviewers per item'), '3');
    await user.click(within(form).getByRole('button', { name: 'Add score' }));
    await user.type(within(form).getByLabelText('Score 1 key'), 'accuracy');
    await user.type(within(form).getByLabelText('Score 1 label'), 'Accuracy');
    await user.click(within(form).getByRole('button', { name: 'Add category' }));
    await user.type(within(form).getByLabelText('Category 1 key'), 'tone');
    await user.type(within(form).getByLabelText('Category 1 options'), 'friendly, neutral, rude');
    await user.click(within(form).getByRole('checkbox', { name: 'Free-text notes' }));
    await user.click(within(form).getByRole('button', { name: 'Create queue' }));

    expect(onSaved).toHaveBeenCalledOnce();
    expect(calls[0]?.body).toEqual({
      id: 'billing',
      name: 'Billing',
      description: '',
      match: { reasons: ['LOW_SCORE'], maxScore: 0.5 },
      order: 100,
      basePriority: 50,
      slaMinutes: 30,
      reviewersPerItem: 3,
      rubric: {
        scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }],
        categories: [{ key: 'tone', label: 'tone', options: ['friendly', 'neutral', 'rude'] }],
        notes: true,
      },
    });
  });

  it('names every wrong field instead of sending the queue', () => {
    const draft = {
      ...draftOf(legal),
      id: 'Bad Id',
      basePriority: '101',
      reviewersPerItem: '6',
      scores: [
        { key: 'accuracy', label: '', min: '5', max: '1' },
        { key: 'accuracy', label: '', min: '1', max: '5' },
      ],
      categories: [{ key: 'tone', label: '', options: 'only-one' }],
    };
    const result = queueInputOf(draft);
    expect('problems' in result && result.problems).toEqual([
      'Queue id: 1-64 characters of a-z, 0-9 and . _ - (starting with a letter or digit)',
      'Base priority: a whole number from 0 to 100',
      'Reviewers per item: a whole number from 1 to 5',
      'Score 1: the minimum must be below the maximum',
      'Score 2 key: "accuracy" is used twice',
      'Category 1 options: at least two, comma-separated',
    ]);
    expect(queueInputOf(draftOf(legal))).toEqual({
      queue: {
        id: 'legal',
        name: 'Legal',
        description: 'Escalations about litigation',
        match: legal.match,
        order: 10,
        basePriority: 70,
        slaMinutes: 60,
        reviewersPerItem: 2,
        rubric: legal.rubric,
      },
    });
  });

  it('lists queues in routing order and edits one with PUT', async () => {
    const { api, calls } = fakeService({
      'GET /v1/queues': () => ({
        body: {
          items: [{ ...legal, id: 'default', name: 'Default', order: 1000, match: {} }, legal],
        },
      }),
      'PUT /v1/queues/legal': (call) => ({ body: { ...legal, ...(call.body as Queue) } }),
    });
    render(<QueuesAdmin api={api} />);
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'Queues' });
    await within(table).findByRole('rowheader', { name: /Legal/ });
    const rows = within(table).getAllByRole('row');
    expect(rows[1]?.textContent).toContain('Legal');
    expect(rows[1]?.textContent).toContain('Policy escalation, from policy');
    expect(rows[1]?.textContent).toContain('3 / 1 / 1');
    expect(screen.queryByRole('button', { name: 'Delete queue Default' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Edit queue Legal' }));
    const form = screen.getByRole('form', { name: 'Edit queue Legal' });
    await user.clear(within(form).getByLabelText('Base priority'));
    await user.type(within(form).getByLabelText('Base priority'), '80');
    await user.click(within(form).getByRole('button', { name: 'Remove score 1' }));
    await user.click(within(form).getByRole('button', { name: 'Save queue' }));
    await screen.findByText('Legal saved.');
    const put = calls.find((call) => call.method === 'PUT');
    expect(put?.body).toMatchObject({ basePriority: 80, rubric: { scores: [], categories: [], notes: true } });
  });
});
