import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import type { Lineage } from '../api/types';
import { useApi } from '../session/SessionContext';

const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

const labelOf = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (first) => first.toUpperCase());

/** Evaluation's lineage, whatever its fields: nested definition lists, bounded in depth and length. */
function Value({ value, depth }: { value: unknown; depth: number }) {
  if (value === null || value === undefined || value === '') return <span className="muted">–</span>;
  if (typeof value !== 'object') return <span>{String(value)}</span>;
  if (depth >= MAX_DEPTH) return <code className="small">{JSON.stringify(value).slice(0, 200)}</code>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    return (
      <ol className="lineage-list">
        {value.slice(0, MAX_ITEMS).map((entry, index) => (
          // Lineage entries have no identity of their own in this generic view.
          // biome-ignore lint/suspicious/noArrayIndexKey: a read-only list that never reorders
          <li key={index}>
            <Value value={entry} depth={depth + 1} />
          </li>
        ))}
        {value.length > MAX_ITEMS ? <li className="muted">… {value.length - MAX_ITEMS} more</li> : null}
      </ol>
    );
  }
  return (
    <dl className="lineage-fields">
      {Object.entries(value as Record<string, unknown>).map(([key, entry]) => (
        <div key={key}>
          <dt>{labelOf(key)}</dt>
          <dd>
            <Value value={entry} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The answer's lineage, fetched when the panel opens. */
export function LineagePanel({ itemId, onClose }: { itemId: string; onClose: () => void }) {
  const api = useApi();
  const [lineage, setLineage] = useState<Lineage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setLineage(null);
    setError(null);
    api
      .lineage(itemId)
      .then((value) => live && setLineage(value))
      .catch((failure: unknown) => {
        if (!live) return;
        if (failure instanceof ApiError && failure.status === 404)
          setError('Evaluation has no lineage for this answer.');
        else if (failure instanceof ApiError && failure.status === 503)
          setError('Lineage is unavailable: evaluation cannot be reached from human-review.');
        else setError(failure instanceof Error ? failure.message : 'Lineage could not be loaded.');
      });
    return () => {
      live = false;
    };
  }, [api, itemId]);

  return (
    <section aria-labelledby="lineage-title" className="card lineage">
      <div className="section-head">
        <h2 id="lineage-title">Lineage</h2>
        <button type="button" className="quiet" onClick={onClose}>
          Close lineage
        </button>
      </div>
      {error ? <p className="notice">{error}</p> : null}
      {!lineage && !error ? <p aria-busy="true">Loading lineage…</p> : null}
      {lineage ? <Value value={lineage} depth={0} /> : null}
    </section>
  );
}
