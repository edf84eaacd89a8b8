import type { RefObject } from 'react';
import type { ReviewItem } from '../api/types';
import { SlaTimer } from './SlaTimer';

interface Props {
  item: ReviewItem;
  queueName: string | undefined;
  headingRef: RefObject<HTMLHeadingElement | null>;
  lineageOpen: boolean;
  onToggleLineage: () => void;
}

/** The item's title line: why it is here, its SLA timer, queue, priority, score, and the lineage toggle. */
export function ItemHeader({ item, queueName, headingRef, lineageOpen, onToggleLineage }: Props) {
  return (
    <div className="page-head item-head">
      <h1 ref={headingRef} tabIndex={-1}>
        Review <span className="muted">{item.reason.replace(/_/g, ' ').toLowerCase()}</span>
      </h1>
      <SlaTimer dueAt={item.dueAt} breached={item.slaBreached} />
      <dl className="meta">
        <div>
          <dt>Queue</dt>
          <dd>{queueName ?? item.queueId ?? '–'}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{item.priority ?? '–'}</dd>
        </div>
        <div>
          <dt>Score</dt>
          <dd>{Number.isFinite(item.score) ? item.score.toFixed(2) : '–'}</dd>
        </div>
        {item.reviewersRequired && item.reviewersRequired > 1 ? (
          <div>
            <dt>Reviewers</dt>
            <dd>
              {item.decisions?.length ?? 0} of {item.reviewersRequired}
            </dd>
          </div>
        ) : null}
      </dl>
      <button
        type="button"
        className="quiet"
        aria-expanded={lineageOpen}
        aria-controls={lineageOpen ? 'lineage-panel' : undefined}
        onClick={onToggleLineage}
        aria-keyshortcuts="l"
      >
        Lineage
      </button>
    </div>
  );
}
