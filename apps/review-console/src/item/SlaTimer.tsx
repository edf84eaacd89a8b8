import { useEffect, useState } from 'react';

function span(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Time left until the item's SLA due time, ticking; past due (or marked breached) it turns red. */
export function SlaTimer({ dueAt, breached }: { dueAt: string | null | undefined; breached: boolean | undefined }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  if (!dueAt) return <span className="sla muted">No due time</span>;
  const due = Date.parse(dueAt);
  const left = due - now;
  const late = breached === true || left <= 0;
  const dueLabel = new Date(due).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <span className={late ? 'sla breached' : left < 10 * 60_000 ? 'sla soon' : 'sla'} title={`Due ${dueLabel}`}>
      <span role="timer" aria-live="off">
        {late ? `SLA breached ${left <= 0 ? `${span(left)} ago` : ''}` : `Due in ${span(left)}`}
      </span>
      <span className="muted small"> · due {dueLabel}</span>
    </span>
  );
}
