import type { Page, StoredDocument } from '../document-store.js';

export interface Ranked extends StoredDocument {
  group: string;
  rank?: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Follows `nextCursor` until the last page; returns the items of each page. Stops a runaway loop. */
export async function collectPages<T extends StoredDocument>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  maxPages = 100,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    pages.push(page.items);
    cursor = page.nextCursor;
    if (pages.length > maxPages) throw new Error(`more than ${maxPages} pages: the cursor does not advance`);
  } while (cursor !== undefined);
  return pages;
}

/** The order the port promises for numeric sort fields: missing first ascending, then id as the tiebreaker. */
export function compareBySortValue(
  left: StoredDocument,
  right: StoredDocument,
  field: string,
  direction: 'asc' | 'desc',
): number {
  const value = (document: StoredDocument) => (document[field] as number | undefined) ?? Number.NEGATIVE_INFINITY;
  const compare = <V>(x: V, y: V) => (x < y ? -1 : x > y ? 1 : 0);
  const order = compare(value(left), value(right)) || compare(left.id, right.id);
  return direction === 'asc' ? order : -order;
}
