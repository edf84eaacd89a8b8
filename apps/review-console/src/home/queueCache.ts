import type { ApiClient } from '../api/client';
import type { Queue } from '../api/types';

/**
 * Queues the home screen already listed: the item screen finds its rubric here without a request
 * (queues change rarely; the item screen fetches the queue when it is not cached).
 */
const cache = new WeakMap<ApiClient, Map<string, Queue>>();

export function rememberQueues(api: ApiClient, queues: readonly Queue[]): void {
  const known = cache.get(api) ?? new Map<string, Queue>();
  for (const queue of queues) known.set(queue.id, queue);
  cache.set(api, known);
}

export function cachedQueue(api: ApiClient, id: string): Queue | undefined {
  return cache.get(api)?.get(id);
}
