import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import type { ApiClient } from '../api/client';
import type { AuditEntry, AuditFilter } from '../api/types';
import { ErrorAlert } from '../ui/ErrorAlert';

const PAGE_SIZE = 50;

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail === 'string') return detail;
  return JSON.stringify(detail);
}

/**
 * Every action on the tenant's work, newest first: sign-ins, claims, releases, skips, decisions,
 * comments, bulk actions, queue and account changes, SLA breaches. Filtered by item and actor,
 * a page at a time.
 */
export function AuditTrail({ api, initialReviewId = '' }: { api: ApiClient; initialReviewId?: string }) {
  const [draft, setDraft] = useState({ reviewId: initialReviewId, actor: '', action: '' });
  const [filter, setFilter] = useState<AuditFilter>(initialReviewId ? { reviewId: initialReviewId } : {});
  const [cursors, setCursors] = useState<string[]>([]);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const ids = { title: useId(), reviewId: useId(), actor: useId(), action: useId() };
  const cursor = cursors.at(-1);

  useEffect(() => {
    let live = true;
    setLoading(true);
    api
      .audit({ ...filter, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) })
      .then((page) => {
        if (!live) return;
        setEntries(page.items);
        setNextCursor(page.nextCursor ?? null);
        setError(null);
      })
      .catch((reason: unknown) => live && setError(reason instanceof Error ? reason.message : String(reason)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [api, filter, cursor]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    const next: AuditFilter = {};
    if (draft.reviewId.trim()) next.reviewId = draft.reviewId.trim();
    if (draft.actor.trim()) next.actor = draft.actor.trim();
    if (draft.action.trim()) next.action = draft.action.trim();
    setCursors([]);
    setFilter(next);
  };

  return (
    <section aria-labelledby={ids.title} className="audit">
      <h2 id={ids.title}>Audit trail</h2>
      <form className="filters" aria-label="Filter the audit trail" onSubmit={search}>
        <label htmlFor={ids.reviewId}>Item id</label>
        <input
          id={ids.reviewId}
          maxLength={256}
          value={draft.reviewId}
          onChange={(event) => setDraft({ ...draft, reviewId: event.target.value })}
        />
        <label htmlFor={ids.actor}>Actor</label>
        <input
          id={ids.actor}
          maxLength={256}
          value={draft.actor}
          onChange={(event) => setDraft({ ...draft, actor: event.target.value })}
        />
        <label htmlFor={ids.action}>Action</label>
        <input
          id={ids.action}
          maxLength={128}
          placeholder="e.g. decision"
          value={draft.action}
          onChange={(event) => setDraft({ ...draft, action: event.target.value })}
        />
        <button type="submit">Search the audit trail</button>
      </form>
      <ErrorAlert message={error} />
      <table aria-label="Audit entries" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Item</th>
            <th scope="col">Queue</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>
                <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>
              </td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>
                {entry.reviewId ? (
                  <Link to={`/items/${encodeURIComponent(entry.reviewId)}`}>{entry.reviewId}</Link>
                ) : (
                  '—'
                )}
              </td>
              <td>{entry.queueId ?? '—'}</td>
              <td className="detail">{detailText(entry.detail)}</td>
            </tr>
          ))}
          {!loading && entries.length === 0 && (
            <tr>
              <td colSpan={6}>No audit entries match.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav aria-label="Pages of the audit trail" className="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          Newest
        </button>
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
          Older
        </button>
      </nav>
    </section>
  );
}
