// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AgreementView, alphaReading } from './AgreementView';
import { fakeService } from './fake-service';

afterEach(cleanup);

describe('agreement per queue', () => {
  it("shows each queue's alpha on the outcome and on each rubric score, and what it means", async () => {
    const { api } = fakeService({
      'GET /v1/queues': () => ({
        body: {
          items: [
            { id: 'default', name: 'Default', reviewersPerItem: 1 },
            { id: 'legal', name: 'Legal', reviewersPerItem: 3 },
          ],
        },
      }),
      'GET /v1/queues/default/agreement': () => ({
        body: { queueId: 'default', items: 0, alpha: null, byRubric: {} },
      }),
      'GET /v1/queues/legal/agreement': () => ({
        body: { queueId: 'legal', items: 12, alpha: 0.8312, byRubric: { accuracy: 0.61 } },
      }),
    });
    render(<AgreementView api={api} />);
    const table = await screen.findByRole('table', { name: 'Agreement per queue' });
    const legal = (await within(table).findByRole('rowheader', { name: 'Legal' })).closest('tr') as HTMLElement;
    expect(within(legal).getByText('12')).toBeTruthy();
    expect(legal.textContent).toContain('0.831 (reliable)');
    expect(legal.textContent).toContain('0.610');
    expect(within(table).getByRole('columnheader', { name: 'Alpha (accuracy)' })).toBeTruthy();
    const fallback = within(table).getByRole('rowheader', { name: 'Default' }).closest('tr') as HTMLElement;
    expect(fallback.textContent).toContain('— (not enough items decided by two or more reviewers)');
  });

  it('reads alpha by Krippendorff’s thresholds', () => {
    expect([0.9, 0.8, 0.7, 0.667, 0.5, null].map(alphaReading)).toEqual([
      'reliable',
      'reliable',
      'tentative',
      'tentative',
      'unreliable',
      'not enough items decided by two or more reviewers',
    ]);
  });
});
