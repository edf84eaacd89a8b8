/**
 * An item opened by its URL (a reload, a bookmark, a link from the lead's list) would otherwise
 * wait for the bundle, then the session check, then its own three reads: a waterfall. main.tsx
 * starts the reads with the session check instead, and the item page takes them over. They are
 * taken once, only for the page they were started for and only while fresh; a failed one (no
 * session yet: 401) is simply asked again by the page.
 */
import type { ApiClient } from '../api/client';
import type { ItemContext, Page, ReviewComment, ReviewItem } from '../api/types';

/** Reads older than this are not trusted: the reviewer went elsewhere first. */
export const PRELOAD_FRESH_MS = 10_000;

export interface ItemReads {
  item: Promise<ReviewItem>;
  context: Promise<ItemContext>;
  comments: Promise<Page<ReviewComment>>;
}

interface Preloaded {
  api: ApiClient;
  id: string;
  at: number;
  reads: ItemReads;
}

let preloaded: Preloaded | null = null;

const ITEM_PATH = /^\/items\/([^/]+)\/?$/;

/** Starts the reads of the item `pathname` names, if it names one. */
export function preloadItem(api: ApiClient, pathname: string, now = Date.now()): void {
  const match = ITEM_PATH.exec(pathname);
  if (!match?.[1]) return;
  let id: string;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return;
  }
  const reads: ItemReads = { item: api.getReview(id), context: api.context(id), comments: api.listComments(id) };
  // Unused or failed reads must not surface as unhandled rejections; the page handles its own.
  for (const read of Object.values(reads)) (read as Promise<unknown>).catch(() => undefined);
  preloaded = { api, id, at: now, reads };
}

/** The reads preloaded for `id`, once and while fresh (a failed one is asked again); else null. */
export function takePreloaded(api: ApiClient, id: string, now = Date.now()): ItemReads | null {
  const taken = preloaded;
  preloaded = null;
  if (!taken || taken.api !== api || taken.id !== id || now - taken.at >= PRELOAD_FRESH_MS) return null;
  return {
    item: taken.reads.item.catch(() => api.getReview(id)),
    context: taken.reads.context.catch(() => api.context(id)),
    comments: taken.reads.comments.catch(() => api.listComments(id)),
  };
}
