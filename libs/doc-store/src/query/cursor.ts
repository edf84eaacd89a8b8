import { InvalidQueryError, type Sort } from '../document-store.js';

/** The sort values keyset pagination can resume from: MongoDB and SQLite order these the same way. */
export type CursorValue = number | string | null;

/** Where the previous page stopped: the last item's sort value and id, and the order it was read in. */
export interface CursorPosition {
  value: CursorValue;
  id: string;
}

interface CursorPayload {
  /** orderBy field */
  f: string;
  /** direction */
  d: 'asc' | 'desc';
  /** the last item's value of `f` (null when missing) */
  v: CursorValue;
  /** the last item's id */
  i: string;
}

export function encodeCursor(sort: Sort, position: CursorPosition): string {
  const payload: CursorPayload = { f: sort.field, d: sort.direction, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor and checks it was issued for the same order: resuming a `createdAt desc`
 * cursor under `id asc` would silently skip or repeat documents.
 */
export function decodeCursor(cursor: string, sort: Sort): CursorPosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('invalid cursor: not a cursor issued by this store');
  }
  if (!isCursorPayload(payload)) throw new InvalidQueryError('invalid cursor: not a cursor issued by this store');
  if (payload.f !== sort.field || payload.d !== sort.direction) {
    throw new InvalidQueryError(
      `invalid cursor: issued for orderBy ${payload.f} ${payload.d}, used with ${sort.field} ${sort.direction}`,
    );
  }
  return { value: payload.v, id: payload.i };
}

function isCursorPayload(value: unknown): value is CursorPayload {
  if (value === null || typeof value !== 'object') return false;
  const payload = value as Record<string, unknown>;
  const validValue =
    payload.v === null ||
    typeof payload.v === 'string' ||
    (typeof payload.v === 'number' && Number.isFinite(payload.v));
  return (
    typeof payload.f === 'string' &&
    (payload.d === 'asc' || payload.d === 'desc') &&
    validValue &&
    typeof payload.i === 'string'
  );
}
