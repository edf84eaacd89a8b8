import { InvalidQueryError } from '../document-store.js';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 1000;

/** The page size: 50 when absent, clamped to 1..1000, fractions rounded down. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw new InvalidQueryError(`limit must be a number, got ${JSON.stringify(limit)}`);
  }
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
}
