/**
 * A page of what one caller may see, when visibility is a rule the query language cannot
 * express (read access derived from ACL groups, for example). Pages are fetched until the page is
 * full, the collection ends, or `maxScanned` documents were looked at; each fetch asks only for
 * what is still missing, so the store's cursor after the last fetch is exactly where the next
 * page starts. A page may then be short, even empty, and still have a `nextCursor`: listing
 * clients follow cursors until there is none, never until a page is short.
 */
import type { Collection, FindOptions, Page, StoredDocument } from '../document-store.js';
import { findPage } from './find-page.js';

export interface VisiblePageOptions<T> {
  /** True for what the caller may see. */
  visible(item: T): boolean;
  /** A bound on the work of one request; default ten pages' worth. */
  maxScanned?: number;
}

export async function findVisiblePage<T extends StoredDocument>(
  collection: Collection<T>,
  options: FindOptions,
  { visible, maxScanned }: VisiblePageOptions<T>,
): Promise<Page<T>> {
  const limit = options.limit ?? 50;
  const budget = maxScanned ?? limit * 10;
  const items: T[] = [];
  let cursor = options.cursor;
  let scanned = 0;
  while (items.length < limit && scanned < budget) {
    const page = await findPage(collection, {
      ...options,
      limit: Math.min(limit - items.length, budget - scanned),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    scanned += page.items.length;
    items.push(...page.items.filter(visible));
    cursor = page.nextCursor;
    if (cursor === undefined) return { items };
  }
  return cursor === undefined ? { items } : { items, nextCursor: cursor };
}
