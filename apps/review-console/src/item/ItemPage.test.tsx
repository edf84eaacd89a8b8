// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { type InitialEntry, MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { ApiClient } from '../api/client';
import { CSRF, createFakeService, type FakeServiceOptions, makeItem } from '../testing/fakeService';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function renderApp(options: FakeServiceOptions = {}, path: InitialEntry = '/', strict = false) {
  const service = createFakeService({ signedIn: true, ...options });
  const api = new ApiClient({ fetch: service.fetch });
  const app = (
    <MemoryRouter initialEntries={[path]}>
      <App api={api} />
    </MemoryRouter>
  );
  render(strict ? <StrictMode>{app}</StrictMode> : app);
  return service;
}

const callsTo = (service: ReturnType<typeof createFakeService>, method: string, path: string) =>
  service.state.calls.filter((call) => call.method === method && call.path === path);

async function claimFirstItem(service: ReturnType<typeof createFakeService>) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Claim next' }));
  await screen.findByRole('heading', { name: 'Question' });
  await waitFor(() => expect(callsTo(service, 'GET', '/v1/reviews/r1/comments')).toHaveLength(1));
  return user;
}

describe('sign-in', () => {
  it('shows a wrong password in an alert, then signs in and opens the queues', async () => {
    renderApp({ signedIn: false });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Username'), 'reviewer');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Wrong username or password');

    await user.type(screen.getByLabelText('Password'), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Queues', level: 1 })).toBeTruthy();
  });
});

describe('home', () => {
  it('shows queue counts and progress, and says so when nothing is due', async () => {
    renderApp({ items: [] });
    const table = await screen.findByRole('table');
    const row = within(table).getByRole('row', { name: /Default/ });
    expect(
      within(row)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['2', '0', '1', '3', '60 min', 'Claim from Default']);
    expect(screen.getByText('Decided this week').nextElementSibling?.textContent).toBe('11');

    await userEvent.setup().click(screen.getByRole('button', { name: 'Claim next' }));
    expect(
      await screen.findByText('Nothing is due in your queues right now.', { selector: 'p.empty-queue' }),
    ).toBeTruthy();
  });
});

describe('the item screen', () => {
  it('opens a claimed item with one request each for context and comments, none for the item', async () => {
    const service = renderApp();
    await claimFirstItem(service);
    expect(callsTo(service, 'GET', '/v1/reviews/r1')).toHaveLength(0);
    expect(callsTo(service, 'GET', '/v1/reviews/r1/context')).toHaveLength(1);
    // Both went out before either answered: no waterfall (the fake answers synchronously, in order).
    const context = service.state.calls.findIndex((call) => call.path === '/v1/reviews/r1/context');
    const comments = service.state.calls.findIndex((call) => call.path === '/v1/reviews/r1/comments');
    expect(Math.abs(context - comments)).toBe(1);

    expect(screen.getByText('How long is the refund window?')).toBeTruthy();
    expect(await screen.findByText('PROMISE')).toBeTruthy();
    // The finding's span is marked in the answer's words; a finding without a span shows no excerpt.
    expect([...document.querySelectorAll('.finding-span')].map((mark) => mark.textContent)).toEqual(['Refunds']);
    expect(screen.getByText('EMAIL')).toBeTruthy();
    expect(screen.getByText(/a promise to the customer/)).toBeTruthy();
    expect(screen.getByText('groundedness')).toBeTruthy();
    expect(document.querySelector('.verdicts')?.textContent).toContain('Supported Refunds are accepted within 30 days');
    expect(screen.getByRole('timer').textContent).toMatch(/^Due in \d+m/);
  });

  it('highlights the cited passage of a marker, and moves between citations with j and k', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    await user.click(screen.getByRole('button', { name: 'Citation 2: Store credit' }));
    const marked = document.querySelector('.passage.selected mark');
    expect(marked?.textContent).toBe('store credit');
    expect(screen.getByRole('button', { name: 'Citation 2: Store credit' }).getAttribute('aria-pressed')).toBe('true');

    fireEvent.keyDown(document.body, { key: 'j' }); // wraps to [1]
    expect(document.querySelector('.passage.selected mark')?.textContent).toBe('within 30 days of purchase');
    fireEvent.keyDown(document.body, { key: 'k' });
    expect(document.querySelector('.passage.selected mark')?.textContent).toBe('store credit');
  });

  it('corrects with a live diff, Ctrl+Enter submits with the rubric, and the next item is claimed', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    await user.type(screen.getByLabelText(/Accuracy/), '4');
    await user.selectOptions(screen.getByLabelText('Issue type'), 'hallucination');

    fireEvent.keyDown(document.body, { key: 'c' });
    const editor = (await screen.findByRole('textbox', { name: 'Corrected answer' })) as HTMLTextAreaElement;
    expect(editor.value).toBe(makeItem('r1').answer);
    await user.clear(editor);
    // Typing "a", "r", "s" in the editor is text, not Approve/Reject/Skip.
    await user.type(editor, 'Refunds are accepted within 14 days [[1].');
    expect(callsTo(service, 'POST', '/v1/reviews/r1/decision')).toHaveLength(0);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.querySelector('.diff ins')?.textContent).toContain('14');
    expect(document.querySelector('.diff del')?.textContent).toContain('30');

    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(callsTo(service, 'POST', '/v1/reviews/r1/decision')).toHaveLength(1));
    expect(callsTo(service, 'POST', '/v1/reviews/r1/decision')[0]?.body).toEqual({
      outcome: 'corrected',
      correctedAnswer: 'Refunds are accepted within 14 days [1].',
      rubric: { scores: { accuracy: 4 }, categories: { issue: 'hallucination' } },
    });
    // The next item came with the claim: the page shows r2 and releases nothing of r1.
    await waitFor(() => expect(callsTo(service, 'GET', '/v1/reviews/r2/context')).toHaveLength(1));
    expect(callsTo(service, 'POST', '/v1/reviews/r1/release')).toHaveLength(0);
  });

  it('approves with the a key and returns home when the queue is empty', async () => {
    const service = renderApp({ items: [makeItem('r1')] });
    await claimFirstItem(service);
    fireEvent.keyDown(document.body, { key: 'a' });
    await waitFor(() =>
      expect(callsTo(service, 'POST', '/v1/reviews/r1/decision')[0]?.body).toEqual({ outcome: 'approved' }),
    );
    expect(
      await screen.findByText('Nothing is due in your queues right now.', { selector: 'p.empty-queue' }),
    ).toBeTruthy();
  });

  it('shows the decision that won a 409 and keeps the correction in the editor', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    service.state.decidedElsewhere.set('r1', {
      outcome: 'rejected',
      correctedAnswer: null,
      comment: 'Off topic',
      reviewer: 'Bob Lead',
      decidedAt: '2026-12-05T11:00:00.000Z',
    });
    await user.click(screen.getByRole('button', { name: 'Correct' }));
    const editor = screen.getByRole('textbox', { name: 'Corrected answer' }) as HTMLTextAreaElement;
    await user.type(editor, ' Extra sentence.');
    await user.click(screen.getByRole('button', { name: 'Submit correction' }));

    const alert = await screen.findByText('Someone else decided this item first.');
    expect(alert.parentElement?.textContent).toContain('Rejected by Bob Lead');
    expect(alert.parentElement?.textContent).toContain('Off topic');
    expect((screen.getByRole('textbox', { name: 'Corrected answer' }) as HTMLTextAreaElement).value).toContain(
      'Extra sentence.',
    );
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('skips with a reason', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    fireEvent.keyDown(document.body, { key: 's' });
    const dialog = screen.getByRole('dialog', { name: 'Skip this item' });
    await user.type(within(dialog).getByLabelText('Reason for skipping'), 'Needs legal');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() =>
      expect(callsTo(service, 'POST', '/v1/reviews/r1/skip')[0]?.body).toEqual({ reason: 'Needs legal' }),
    );
  });

  it('adds a comment', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    await user.type(screen.getByLabelText('Comment'), 'Check the 2025 policy');
    await user.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(await screen.findByText('Check the 2025 policy')).toBeTruthy();
    expect(callsTo(service, 'POST', '/v1/reviews/r1/comments')[0]?.body).toEqual({ text: 'Check the 2025 policy' });
  });

  it('goes back to sign-in when the session is gone', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    service.state.signedIn = false;
    await user.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByLabelText('Username')).toBeTruthy();
  });

  it('renews the lease every third of it, and releases on leaving and on pagehide', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const service = renderApp({ leaseSeconds: 30 }, '/');
    await claimFirstItem(service);
    await act(() => vi.advanceTimersByTimeAsync(10_500));
    expect(callsTo(service, 'POST', '/v1/reviews/r1/claim').length).toBeGreaterThanOrEqual(1);

    fireEvent(window, new Event('pagehide'));
    const unload = callsTo(service, 'POST', '/v1/reviews/r1/release');
    expect(unload).toHaveLength(1);
    expect(unload[0]?.keepalive).toBe(true);
    expect(unload[0]?.headers['x-csrf-token']).toBe('csrf-token-123');

    fireEvent.click(screen.getByRole('link', { name: 'Queues' }));
    await waitFor(() => expect(callsTo(service, 'POST', '/v1/reviews/r1/release')).toHaveLength(2));
  });

  it('keeps the lease through React StrictMode re-mounting the page (development)', async () => {
    const service = renderApp({}, '/', true);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Claim next' }));
    await screen.findByRole('heading', { name: 'Question' });
    await user.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(callsTo(service, 'POST', '/v1/reviews/r1/decision')).toHaveLength(1));
    expect(service.state.items.get('r1')?.status).toBe('decided');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('reads the item again when history hands over an old copy (a reload), not the stale one', async () => {
    const stale = makeItem('r1', { question: 'A stale question?' });
    const service = renderApp({}, { pathname: '/items/r1', state: { item: stale, handedAt: Date.now() - 60_000 } });
    expect(await screen.findByText('How long is the refund window?')).toBeTruthy();
    expect(callsTo(service, 'GET', '/v1/reviews/r1')).toHaveLength(1);
    expect(screen.queryByText('A stale question?')).toBeNull();
    // Opened by URL and pending: the reviewer claims it explicitly.
    await userEvent.setup().click(screen.getByRole('button', { name: 'Claim this item' }));
    await waitFor(() =>
      expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(false),
    );
  });

  it('shows a breached SLA, and the lineage in a panel (l)', async () => {
    const overdue = makeItem('r1', { dueAt: new Date(Date.now() - 5 * 60_000).toISOString(), slaBreached: true });
    const service = renderApp({ items: [overdue] });
    await claimFirstItem(service);
    const timer = screen.getByRole('timer');
    expect(timer.textContent).toMatch(/^SLA breached 5m \d\ds ago$/);
    expect(timer.parentElement?.className).toContain('breached');

    fireEvent.keyDown(document.body, { key: 'l' });
    const lineage = await screen.findByRole('region', { name: 'Lineage' });
    expect(await within(lineage).findByText('demo-model')).toBeTruthy();
    expect(within(lineage).getByText('Request Id')).toBeTruthy();
    expect(callsTo(service, 'GET', '/v1/reviews/r1/lineage')).toHaveLength(1);
  });

  it('releases the lease before the session ends on sign-out', async () => {
    const service = renderApp();
    const user = await claimFirstItem(service);
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByLabelText('Username')).toBeTruthy();
    const paths = service.state.calls.map((call) => `${call.method} ${call.path}`);
    const release = paths.indexOf('POST /v1/reviews/r1/release');
    expect(release).toBeGreaterThan(-1);
    expect(paths.indexOf('DELETE /v1/session')).toBeGreaterThan(release);
    expect(paths.filter((path) => path === 'POST /v1/reviews/r1/release')).toHaveLength(1);
  });
});

describe('a lease lost behind the page (a reload racing its own keepalive release)', () => {
  const heldByMe = () =>
    makeItem('r1', {
      status: 'claimed',
      claimedBy: 'Rita Reviewer',
      leaseExpiresAt: new Date(Date.now() + 300_000).toISOString(),
    });

  /** The reloaded page has read r1 as held; then the old page's keepalive release lands. */
  async function reloadedThenReleased() {
    const service = renderApp({ items: [heldByMe(), makeItem('r2')] }, '/items/r1');
    await waitFor(() =>
      expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(false),
    );
    const unload = await service.fetch('/v1/reviews/r1/release', {
      method: 'POST',
      headers: { 'x-csrf-token': CSRF },
      keepalive: true,
    });
    expect(unload.status).toBe(200);
    expect(service.state.items.get('r1')?.status).toBe('pending');
    return service;
  }

  const sequence = (service: ReturnType<typeof createFakeService>) =>
    service.state.calls
      .filter((call) => call.method === 'POST' && call.path.startsWith('/v1/reviews/r1/'))
      .map((call) => call.path.slice('/v1/reviews/r1/'.length));

  it('claims the item again and sends the decision once more', async () => {
    const service = await reloadedThenReleased();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(service.state.items.get('r1')?.status).toBe('decided'));
    // The refused decision, the claim, the decision again: nothing more.
    expect(sequence(service)).toEqual(['release', 'decision', 'claim', 'decision']);
    expect(service.state.items.get('r1')?.decision?.outcome).toBe('approved');
    // Then on to the next item, as after any decision.
    await waitFor(() => expect(service.state.items.get('r2')?.status).toBe('claimed'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('claims the item again before releasing it', async () => {
    const service = await reloadedThenReleased();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Release' }));
    expect(await screen.findByRole('heading', { name: 'Queues', level: 1 })).toBeTruthy();
    expect(sequence(service)).toEqual(['release', 'release', 'claim', 'release']);
    expect(service.state.items.get('r1')?.status).toBe('pending');
  });

  it('says who holds the item when someone else took it, and keeps the typed correction', async () => {
    const service = await reloadedThenReleased();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Correct' }));
    const editor = screen.getByRole('textbox', { name: 'Corrected answer' });
    await user.type(editor, ' Only unopened items.');
    service.state.items.set('r1', {
      ...heldByMe(),
      claimedBy: 'Bob Lead',
      leaseExpiresAt: new Date(Date.now() + 300_000).toISOString(),
    });
    await user.click(screen.getByRole('button', { name: 'Submit correction' }));

    const alert = await screen.findByText(/^Bob Lead holds this item now\. Your/);
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Your decision was not sent.');
    expect(alert.textContent).toContain('Your correction stays in the editor.');
    expect(screen.getByText('Bob Lead is working on this item.')).toBeTruthy();
    expect((screen.getByRole('textbox', { name: 'Corrected answer' }) as HTMLTextAreaElement).value).toContain(
      'Only unopened items.',
    );
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    // One try at the claim, no second decision: Bob's lease stands.
    expect(sequence(service)).toEqual(['release', 'decision', 'claim']);
    expect(service.state.items.get('r1')?.claimedBy).toBe('Bob Lead');
  });

  it('says who holds the item when the lease renewal finds someone else on it', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const service = renderApp({ leaseSeconds: 30 }, '/');
    await claimFirstItem(service);
    service.state.items.set('r1', {
      ...heldByMe(),
      claimedBy: 'Bob Lead',
      leaseExpiresAt: new Date(Date.now() + 300_000).toISOString(),
    });
    await act(() => vi.advanceTimersByTimeAsync(10_500));
    const alert = await screen.findByText(/^Bob Lead holds this item now\. Your/);
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Your lease on it has ended.');
    expect(screen.getByText('Bob Lead is working on this item.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    // Leaving does not release Bob's item.
    fireEvent.click(screen.getByRole('link', { name: 'Queues' }));
    await screen.findByRole('heading', { name: 'Queues', level: 1 });
    expect(callsTo(service, 'POST', '/v1/reviews/r1/release')).toHaveLength(0);
  });
});
