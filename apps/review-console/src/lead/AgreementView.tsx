import { useEffect, useId, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { Agreement, Queue } from '../api/types';
import { ErrorAlert } from '../ui/ErrorAlert';

interface Row {
  queue: Queue;
  agreement?: Agreement;
  error?: string;
}

/** Krippendorff's reading of alpha: 0.8 and up is reliable, 0.667 the lowest tentative conclusions allow. */
export function alphaReading(alpha: number | null | undefined): string {
  if (alpha === null || alpha === undefined) return 'not enough items decided by two or more reviewers';
  if (alpha >= 0.8) return 'reliable';
  if (alpha >= 0.667) return 'tentative';
  return 'unreliable';
}

export function formatAlpha(alpha: number | null | undefined): string {
  return alpha === null || alpha === undefined ? '—' : alpha.toFixed(3);
}

/**
 * How far reviewers agree, per queue: Krippendorff's alpha on the outcome (nominal) and on each
 * rubric score (interval), over the items that two or more reviewers decided.
 */
export function AgreementView({ api }: { api: ApiClient }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = useId();

  useEffect(() => {
    let live = true;
    (async () => {
      const { items } = await api.listQueues();
      const loaded = await Promise.all(
        items.map(async (queue): Promise<Row> => {
          try {
            return { queue, agreement: await api.agreement(queue.id) };
          } catch (reason) {
            return { queue, error: reason instanceof Error ? reason.message : String(reason) };
          }
        }),
      );
      if (live) setRows(loaded);
    })().catch((reason: unknown) => live && setError(reason instanceof Error ? reason.message : String(reason)));
    return () => {
      live = false;
    };
  }, [api]);

  const rubricKeys = [...new Set((rows ?? []).flatMap((row) => Object.keys(row.agreement?.byRubric ?? {})))].sort();

  return (
    <section aria-labelledby={title} className="agreement">
      <h2 id={title}>Agreement</h2>
      <p className="hint">
        Krippendorff's alpha over items decided by two or more reviewers (queues with reviewers per item above 1): 1 is
        full agreement, 0 no better than chance. From 0.8 the labels are reliable; below 0.667, revisit the rubric or
        the guidelines.
      </p>
      <ErrorAlert message={error} />
      <table aria-label="Agreement per queue" aria-busy={rows === null}>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Reviewers per item</th>
            <th scope="col">Items compared</th>
            <th scope="col">Alpha (outcome)</th>
            {rubricKeys.map((key) => (
              <th key={key} scope="col">
                Alpha ({key})
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map(({ queue, agreement, error: rowError }) => (
            <tr key={queue.id}>
              <th scope="row">{queue.name}</th>
              <td>{queue.reviewersPerItem}</td>
              {rowError ? (
                <td colSpan={2 + rubricKeys.length}>{rowError}</td>
              ) : (
                <>
                  <td>{agreement?.items ?? 0}</td>
                  <td title={alphaReading(agreement?.alpha)}>
                    {formatAlpha(agreement?.alpha)} <span className="reading">({alphaReading(agreement?.alpha)})</span>
                  </td>
                  {rubricKeys.map((key) => (
                    <td key={key} title={alphaReading(agreement?.byRubric[key])}>
                      {formatAlpha(agreement?.byRubric[key])}
                    </td>
                  ))}
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
