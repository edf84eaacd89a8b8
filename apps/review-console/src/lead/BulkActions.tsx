import { type FormEvent, useEffect, useId, useState } from 'react';
import { type ApiClient, ApiError } from '../api/client';
import type { BulkRequest, Queue } from '../api/types';
import { ErrorAlert } from '../ui/ErrorAlert';
import { countMatching, describeFilter, filterOf, type LeadFilter } from './selection';

type Action = BulkRequest['action'];

const actionLabels: Record<Action, string> = {
  release: 'Release claims',
  'set-priority': 'Set priority',
  move: 'Move to queue',
  reject: 'Reject',
};

const pastTense: Record<Action, string> = {
  release: 'Released',
  'set-priority': 'Reprioritised',
  move: 'Moved',
  reject: 'Rejected',
};

interface Pending {
  request: Omit<BulkRequest, 'expectedCount'>;
  count: number;
  /** Set when the service found a different count than the one first shown. */
  changedFrom?: number;
}

const plural = (count: number) => `${count} item${count === 1 ? '' : 's'}`;

/**
 * Bulk actions on the lead's current filter. The matching count is shown and confirmed first, and
 * sent as `expectedCount`: when items arrived or left in between, the service answers 409
 * `REVIEW.BULK_COUNT_MISMATCH` and changes nothing; the lead sees the new count and confirms again.
 */
export function BulkActions({
  api,
  filter,
  queues,
  queueName,
  onDone,
}: {
  api: ApiClient;
  filter: LeadFilter;
  queues: Queue[];
  queueName: (id: string) => string;
  onDone: () => void;
}) {
  const [action, setAction] = useState<Action>('release');
  const [priority, setPriority] = useState('50');
  const [target, setTarget] = useState('');
  const [comment, setComment] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const ids = {
    action: useId(),
    priority: useId(),
    target: useId(),
    comment: useId(),
    title: useId(),
    confirm: useId(),
  };

  // A count confirmed for one filter says nothing about another.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset whenever the applied filter changes.
  useEffect(() => {
    setPending(null);
    setResult(null);
  }, [filter]);

  const requestOf = (): Omit<BulkRequest, 'expectedCount'> | string => {
    const base = { filter: filterOf(filter), action };
    if (action === 'set-priority') {
      const value = Number(priority);
      if (!Number.isInteger(value) || value < 0 || value > 100) return 'Priority must be a whole number from 0 to 100.';
      return { ...base, priority: value };
    }
    if (action === 'move') {
      if (!target) return 'Choose the queue to move the items to.';
      return { ...base, queueId: target };
    }
    if (action === 'reject') return comment.trim() ? { ...base, comment: comment.trim() } : base;
    return base;
  };

  const prepare = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    const request = requestOf();
    if (typeof request === 'string') {
      setError(request);
      return;
    }
    setBusy(true);
    try {
      setPending({ request, count: await countMatching(api, filter) });
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      const done = await api.bulk({ ...pending.request, expectedCount: pending.count });
      setPending(null);
      setResult(`${pastTense[pending.request.action]} ${done.changed} of ${plural(done.matched)}.`);
      onDone();
    } catch (reason) {
      if (reason instanceof ApiError && reason.code === 'REVIEW.BULK_COUNT_MISMATCH') {
        // Nothing was changed: show what matches now and ask again.
        try {
          const count = await countMatching(api, filter);
          setPending({ ...pending, count, changedFrom: pending.count });
        } catch (recount) {
          setPending(null);
          setError(recount instanceof Error ? recount.message : String(recount));
        }
      } else {
        setError(reason instanceof Error ? reason.message : String(reason));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={ids.title} className="bulk-actions">
      <h3 id={ids.title}>Bulk action on this filter</h3>
      <form aria-label="Bulk action" noValidate onSubmit={prepare}>
        <label htmlFor={ids.action}>Action</label>
        <select
          id={ids.action}
          value={action}
          onChange={(event) => {
            setAction(event.target.value as Action);
            setPending(null);
          }}
        >
          {(Object.keys(actionLabels) as Action[]).map((value) => (
            <option key={value} value={value}>
              {actionLabels[value]}
            </option>
          ))}
        </select>
        {action === 'set-priority' && (
          <>
            <label htmlFor={ids.priority}>New priority</label>
            <input
              id={ids.priority}
              type="number"
              min={0}
              max={100}
              step={1}
              value={priority}
              onChange={(event) => setPriority(event.target.value)}
            />
          </>
        )}
        {action === 'move' && (
          <>
            <label htmlFor={ids.target}>Target queue</label>
            <select id={ids.target} value={target} onChange={(event) => setTarget(event.target.value)}>
              <option value="">Choose a queue</option>
              {queues.map((queue) => (
                <option key={queue.id} value={queue.id}>
                  {queue.name}
                </option>
              ))}
            </select>
          </>
        )}
        {action === 'reject' && (
          <>
            <label htmlFor={ids.comment}>Rejection comment</label>
            <input
              id={ids.comment}
              maxLength={8192}
              value={comment}
              onChange={(event) => setComment(event.target.value)}
            />
          </>
        )}
        <button type="submit" disabled={busy}>
          Count matching items
        </button>
      </form>

      {pending && (
        <div role="dialog" aria-labelledby={ids.confirm} className="confirm">
          <p id={ids.confirm}>
            {pending.changedFrom !== undefined &&
              `The selection changed: ${plural(pending.count)} match now, not ${pending.changedFrom}. `}
            {actionLabels[pending.request.action]}: {plural(pending.count)} matching {describeFilter(filter, queueName)}
            .
          </p>
          <button type="button" onClick={confirm} disabled={busy || pending.count === 0}>
            Confirm bulk action
          </button>
          <button type="button" onClick={() => setPending(null)} disabled={busy}>
            Cancel
          </button>
        </div>
      )}
      <ErrorAlert message={error} />
      {result && (
        <p role="status" className="result">
          {result}
        </p>
      )}
    </section>
  );
}
