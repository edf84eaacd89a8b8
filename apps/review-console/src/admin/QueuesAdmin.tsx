import { useCallback, useEffect, useId, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { Queue, QueueMatch } from '../api/types';
import { reasonLabel } from '../lead/selection';
import { ErrorAlert } from '../ui/ErrorAlert';
import { problemText } from './AccountsAdmin';
import { QueueForm } from './QueueForm';

export function matchSummary(match: QueueMatch, id: string): string {
  if (id === 'default') return 'everything no other queue takes';
  const parts = [
    ...(match.reasons?.length ? [match.reasons.map(reasonLabel).join(' or ')] : []),
    ...(match.maxScore === undefined ? [] : [`score ≤ ${match.maxScore}`]),
    ...(match.requestedBy?.length ? [`from ${match.requestedBy.join(' or ')}`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'every item';
}

/** The tenant's queues in routing order: create, edit, delete (all but `default`). */
export function QueuesAdmin({ api }: { api: ApiClient }) {
  const [queues, setQueues] = useState<Queue[] | null>(null);
  const [editing, setEditing] = useState<Queue | 'new' | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const title = useId();

  const reload = useCallback(async () => {
    try {
      const page = await api.listQueues();
      setQueues([...page.items].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id)));
      setError(null);
    } catch (reason) {
      setError(problemText(reason));
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const remove = async (queue: Queue) => {
    setDeleting(null);
    try {
      await api.deleteQueue(queue.id);
      setNotice(`${queue.name} deleted; its open items are routed again.`);
      await reload();
    } catch (reason) {
      setError(problemText(reason));
    }
  };

  return (
    <section aria-labelledby={title} className="queues-admin">
      <h2 id={title}>Queues</h2>
      <ErrorAlert message={error} />
      {notice && <p className="notice">{notice}</p>}
      <table aria-label="Queues" aria-busy={queues === null}>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Queue</th>
            <th scope="col">Takes</th>
            <th scope="col">Base priority</th>
            <th scope="col">SLA</th>
            <th scope="col">Reviewers per item</th>
            <th scope="col">Rubric</th>
            <th scope="col">Pending / claimed / breached</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(queues ?? []).map((queue) => (
            <tr key={queue.id}>
              <td>{queue.order}</td>
              <th scope="row">
                {queue.name} <code>{queue.id}</code>
              </th>
              <td>{matchSummary(queue.match, queue.id)}</td>
              <td>{queue.basePriority}</td>
              <td>{queue.slaMinutes} min</td>
              <td>{queue.reviewersPerItem}</td>
              <td>
                {queue.rubric.scores.length} scores, {queue.rubric.categories.length} categories
                {queue.rubric.notes ? ', notes' : ''}
              </td>
              <td>
                {queue.counts ? `${queue.counts.pending} / ${queue.counts.claimed} / ${queue.counts.breached}` : '—'}
              </td>
              <td className="actions">
                <button type="button" aria-label={`Edit queue ${queue.name}`} onClick={() => setEditing(queue)}>
                  Edit
                </button>
                {queue.id !== 'default' &&
                  (deleting === queue.id ? (
                    <fieldset className="inline-confirm" aria-label={`Confirm deleting queue ${queue.name}`}>
                      <button type="button" className="danger" onClick={() => remove(queue)}>
                        Confirm delete
                      </button>
                      <button type="button" onClick={() => setDeleting(null)}>
                        Keep
                      </button>
                    </fieldset>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Delete queue ${queue.name}`}
                      onClick={() => setDeleting(queue.id)}
                    >
                      Delete
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing === null ? (
        <button type="button" onClick={() => setEditing('new')}>
          New queue
        </button>
      ) : (
        <QueueForm
          key={editing === 'new' ? 'new' : editing.id}
          api={api}
          {...(editing === 'new' ? {} : { queue: editing })}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(`${saved.name} saved.`);
            void reload();
          }}
        />
      )}
    </section>
  );
}
