import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { type ApiClient, ApiError } from '../api/client';
import type { Queue, ReviewItem, ReviewStatus } from '../api/types';
import { ErrorAlert } from '../ui/ErrorAlert';
import { BulkActions } from './BulkActions';
import { emptyFilter, filterOf, type LeadFilter, reasonLabel, reviewReasons } from './selection';

const PAGE_SIZE = 50;

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function formatTime(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : '—';
}

/**
 * The lead's view of the work: every item of the tenant filtered by queue, status and reason, a
 * page at a time, with bulk actions on exactly that filter.
 */
export function LeadItems({ api }: { api: ApiClient }) {
  const [queues, setQueues] = useState<Queue[]>([]);
  const [draft, setDraft] = useState<LeadFilter>(emptyFilter);
  const [filter, setFilter] = useState<LeadFilter>(emptyFilter);
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [cursors, setCursors] = useState<string[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const ids = { queue: useId(), status: useId(), reason: useId(), title: useId() };

  useEffect(() => {
    let live = true;
    api
      .listQueues()
      .then((page) => live && setQueues(page.items))
      .catch((reason: unknown) => live && setError(messageOf(reason)));
    return () => {
      live = false;
    };
  }, [api]);

  const cursor = cursors.at(-1);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `reloads` re-reads the page after a bulk action.
  useEffect(() => {
    let live = true;
    setLoading(true);
    api
      .listReviews({ ...filterOf(filter), limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) })
      .then((page) => {
        if (!live) return;
        setItems(page.items);
        setNextCursor(page.nextCursor ?? null);
        setError(null);
      })
      .catch((reason: unknown) => live && setError(messageOf(reason)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [api, filter, cursor, reloads]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setCursors([]);
    setFilter(draft);
  };
  const queueName = useCallback((id: string) => queues.find((queue) => queue.id === id)?.name ?? id, [queues]);

  return (
    <section aria-labelledby={ids.title} className="lead-items">
      <h2 id={ids.title}>Items</h2>
      <form className="filters" aria-label="Filter items" onSubmit={apply}>
        <label htmlFor={ids.queue}>Queue</label>
        <select
          id={ids.queue}
          value={draft.queueId}
          onChange={(event) => setDraft({ ...draft, queueId: event.target.value })}
        >
          <option value="">All queues</option>
          {queues.map((queue) => (
            <option key={queue.id} value={queue.id}>
              {queue.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.status}>Status</label>
        <select
          id={ids.status}
          value={draft.status}
          onChange={(event) => setDraft({ ...draft, status: event.target.value as '' | ReviewStatus })}
        >
          <option value="">Open (pending or claimed)</option>
          <option value="pending">Pending</option>
          <option value="claimed">Claimed</option>
          <option value="decided">Decided</option>
        </select>
        <label htmlFor={ids.reason}>Reason</label>
        <select
          id={ids.reason}
          value={draft.reason}
          onChange={(event) => setDraft({ ...draft, reason: event.target.value })}
        >
          <option value="">Any reason</option>
          {reviewReasons.map((reason) => (
            <option key={reason} value={reason}>
              {reasonLabel(reason)}
            </option>
          ))}
        </select>
        <button type="submit">Apply filter</button>
      </form>

      <BulkActions
        api={api}
        filter={filter}
        queues={queues}
        queueName={queueName}
        onDone={() => {
          setCursors([]);
          setReloads((count) => count + 1);
        }}
      />

      <ErrorAlert message={error} />
      <table aria-label="Matching items" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Queue</th>
            <th scope="col">Reason</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Due</th>
            <th scope="col">Claimed by</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} className={item.slaBreached ? 'breached' : undefined}>
              <td>
                <Link to={`/items/${encodeURIComponent(item.id)}`}>{item.question || item.id}</Link>
              </td>
              <td>{item.queueId ? queueName(item.queueId) : '—'}</td>
              <td>{reasonLabel(item.reason)}</td>
              <td>{item.status}</td>
              <td>{item.priority ?? '—'}</td>
              <td>
                {formatTime(item.dueAt)}
                {item.slaBreached ? ' (SLA breached)' : ''}
              </td>
              <td>{item.claimedBy ?? '—'}</td>
            </tr>
          ))}
          {!loading && items.length === 0 && (
            <tr>
              <td colSpan={7}>No items match this filter.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav aria-label="Pages of items" className="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
