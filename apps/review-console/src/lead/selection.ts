/**
 * The lead's filtered selection: what the list shows, what a bulk action is sent with, and how many
 * items it matches right now (counted by following the list's cursors, the same reads the service
 * answers a bulk action from, so the count the lead confirms is the count the service checks).
 */
import type { ApiClient } from '../api/client';
import type { BulkRequest, ReviewStatus } from '../api/types';

export interface LeadFilter {
  queueId: string;
  /** '' lists the open items (pending and claimed), as the service does without a status. */
  status: '' | ReviewStatus;
  reason: string;
}

export const emptyFilter: LeadFilter = { queueId: '', status: '', reason: '' };

/** The reasons an item can be queued for, as the service names them. */
export const reviewReasons = ['LOW_SCORE', 'POLICY_ESCALATION', 'USER_FEEDBACK'] as const;

export function reasonLabel(reason: string): string {
  const lower = reason.toLowerCase().replace(/_/g, ' ');
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The filter as the API's query and bulk filter: unset fields are left out, never sent empty. */
export function filterOf(filter: LeadFilter): BulkRequest['filter'] {
  return {
    ...(filter.queueId ? { queueId: filter.queueId } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.reason ? { reason: filter.reason } : {}),
  };
}

export function describeFilter(filter: LeadFilter, queueName: (id: string) => string = (id) => id): string {
  const parts = [
    filter.queueId ? `queue ${queueName(filter.queueId)}` : 'every queue',
    filter.status ? `status ${filter.status}` : 'open (pending or claimed)',
    ...(filter.reason ? [`reason ${reasonLabel(filter.reason)}`] : []),
  ];
  return parts.join(', ');
}

const COUNT_PAGE = 100;
/** The most items one bulk action may match (human-review's BULK_LIMITS.matched). */
export const MAX_BULK_ITEMS = 5_000;

/** How many items the filter matches now, following every cursor. */
export async function countMatching(api: ApiClient, filter: LeadFilter, signal?: AbortSignal): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  for (;;) {
    if (signal?.aborted) throw new DOMException('count aborted', 'AbortError');
    const result = await api.listReviews({ ...filterOf(filter), limit: COUNT_PAGE, ...(cursor ? { cursor } : {}) });
    count += result.items.length;
    if (count > MAX_BULK_ITEMS) {
      throw new Error(`more than ${MAX_BULK_ITEMS} items match: narrow the filter (queue, status, reason) first`);
    }
    if (!result.nextCursor) return count;
    cursor = result.nextCursor;
  }
}
