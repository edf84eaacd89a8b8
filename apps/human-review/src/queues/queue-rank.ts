/**
 * Claim next takes the highest priority, then the earliest due time, then the oldest item. The
 * document store orders by one field, so the three are stored as one string that sorts the same
 * way: (100 - priority), dueAt and createdAt, each zero-padded to a fixed width.
 */

const TIME_DIGITS = 15;

function pad(value: number, digits: number): string {
  return String(Math.max(0, Math.trunc(value))).padStart(digits, '0');
}

export function clampPriority(priority: number): number {
  return Math.min(100, Math.max(0, Math.trunc(priority)));
}

export function rankOf(priority: number, dueAt: number, createdAt: number): string {
  return `${pad(100 - clampPriority(priority), 3)}:${pad(dueAt, TIME_DIGITS)}:${pad(createdAt, TIME_DIGITS)}`;
}
