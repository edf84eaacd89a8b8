import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import type { Progress, Queue } from '../api/types';
import { useApi } from '../session/SessionContext';
import { useShortcuts } from '../shortcuts/useShortcuts';
import { emptyMessage, type HomeLocationState, useClaimNext } from './claim';
import { rememberQueues } from './queueCache';

const slaText = (minutes: number) =>
  minutes % 1440 === 0
    ? `${minutes / 1440} d`
    : minutes % 60 === 0 && minutes >= 120
      ? `${minutes / 60} h`
      : `${minutes} min`;

export function HomePage() {
  const api = useApi();
  const location = useLocation();
  const empty = (location.state as HomeLocationState | null)?.empty;
  const [queues, setQueues] = useState<Queue[] | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { claimNext, busy, error } = useClaimNext();

  const load = useCallback(async () => {
    setLoadError(null);
    // Both at once: neither waits for the other.
    const [queueResult, progressResult] = await Promise.allSettled([api.listQueues(), api.progress()]);
    if (queueResult.status === 'fulfilled') {
      setQueues(queueResult.value.items);
      rememberQueues(api, queueResult.value.items);
    }
    if (progressResult.status === 'fulfilled') setProgress(progressResult.value);
    const failed = [queueResult, progressResult].find((result) => result.status === 'rejected');
    if (failed && failed.status === 'rejected') {
      const reason = failed.reason;
      if (!(reason instanceof ApiError && reason.status === 401)) {
        setLoadError(reason instanceof ApiError ? reason.message : 'The review service cannot be reached.');
      }
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  useShortcuts({ n: () => void claimNext() }, !busy);

  const totals = (queues ?? []).reduce(
    (sum, queue) => ({
      pending: sum.pending + (queue.counts?.pending ?? 0),
      breached: sum.breached + (queue.counts?.breached ?? 0),
    }),
    { pending: 0, breached: 0 },
  );

  return (
    <div className="home">
      <div className="page-head">
        <h1>Queues</h1>
        <button
          type="button"
          className="primary"
          onClick={() => void claimNext()}
          disabled={busy}
          aria-keyshortcuts="n"
        >
          Claim next
        </button>
        <button type="button" className="quiet" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error ? (
        <p role="alert" className="alert">
          {error}
        </p>
      ) : null}
      {loadError ? (
        <p role="alert" className="alert">
          {loadError}
        </p>
      ) : null}
      {empty ? <p className="notice empty-queue">{emptyMessage(empty)}</p> : null}
      {!empty && queues && queues.length > 0 && totals.pending === 0 ? (
        <p className="muted">No items are waiting in your queues.</p>
      ) : null}

      <section aria-labelledby="progress-title" className="card progress">
        <h2 id="progress-title">Your progress</h2>
        <dl className="stats">
          <div>
            <dt>Decided today</dt>
            <dd>{progress?.decidedToday ?? '–'}</dd>
          </div>
          <div>
            <dt>Decided this week</dt>
            <dd>{progress?.decidedThisWeek ?? '–'}</dd>
          </div>
          <div>
            <dt>Waiting</dt>
            <dd>{queues ? totals.pending : '–'}</dd>
          </div>
          <div>
            <dt>Past due</dt>
            <dd className={totals.breached > 0 ? 'breached' : undefined}>{queues ? totals.breached : '–'}</dd>
          </div>
        </dl>
        {progress && progress.claimed.length > 0 ? (
          <div className="claimed">
            <h3>Claimed by you</h3>
            <ul>
              {progress.claimed.map((id) => (
                <li key={id}>
                  <Link to={`/items/${encodeURIComponent(id)}`}>Resume {id}</Link>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>

      <section aria-labelledby="queues-title" className="card">
        <h2 id="queues-title">Queues</h2>
        {queues === null && !loadError ? <p aria-busy="true">Loading queues…</p> : null}
        {queues && queues.length === 0 ? (
          <p className="notice">No queues yet: items arrive in the default queue.</p>
        ) : null}
        {queues && queues.length > 0 ? (
          <table className="queues">
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col" className="num">
                  Claimed
                </th>
                <th scope="col" className="num">
                  Breached
                </th>
                <th scope="col" className="num">
                  Decided today
                </th>
                <th scope="col" className="num">
                  SLA
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {queues.map((queue) => (
                <tr key={queue.id}>
                  <th scope="row">
                    <span className="queue-name">{queue.name}</span>
                    {queue.description ? <span className="muted small"> {queue.description}</span> : null}
                  </th>
                  <td className="num">{queue.counts?.pending ?? 0}</td>
                  <td className="num">{queue.counts?.claimed ?? 0}</td>
                  <td className={`num${(queue.counts?.breached ?? 0) > 0 ? ' breached' : ''}`}>
                    {queue.counts?.breached ?? 0}
                  </td>
                  <td className="num">{queue.counts?.decidedToday ?? 0}</td>
                  <td className="num">{slaText(queue.slaMinutes)}</td>
                  <td>
                    {/* Not named "Claim next": that name is the overall button's, and stays unique on the page. */}
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => void claimNext({ queueId: queue.id, queueName: queue.name })}
                    >
                      Claim<span className="visually-hidden"> from {queue.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
