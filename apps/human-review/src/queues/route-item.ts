/** Routing: a new item goes to the first queue by `order` whose `match` accepts it (every given condition). */
import { DEFAULT_QUEUE_ID, type QueueMatch, type QueueRecord } from './review-queue.js';

export interface Routable {
  reason: string;
  score: number;
  requestedBy: string;
}

export function matches(match: QueueMatch, item: Routable): boolean {
  if (match.reasons && match.reasons.length > 0 && !match.reasons.includes(item.reason)) return false;
  if (match.maxScore !== undefined && !(item.score <= match.maxScore)) return false;
  if (match.requestedBy && match.requestedBy.length > 0 && !match.requestedBy.includes(item.requestedBy)) return false;
  return true;
}

/** By order, then id so that equal orders route the same way every time. */
export function byOrder(a: QueueRecord, b: QueueRecord): number {
  return a.order - b.order || (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0);
}

/** The queue that takes `item`: never `default` while another matches, `default` otherwise. */
export function routeItem(queues: readonly QueueRecord[], item: Routable): QueueRecord {
  const fallback = queues.find((queue) => queue.queueId === DEFAULT_QUEUE_ID);
  const chosen = [...queues]
    .filter((queue) => queue.queueId !== DEFAULT_QUEUE_ID)
    .sort(byOrder)
    .find((queue) => matches(queue.match, item));
  const queue = chosen ?? fallback;
  if (!queue) throw new Error('routing needs the default queue');
  return queue;
}
