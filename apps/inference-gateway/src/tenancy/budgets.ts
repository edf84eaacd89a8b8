/**
 * Budgets in currency per tenant and per key over a day or a month (UTC), enforced so that
 * concurrent requests, on one replica or many sharing the store, cannot overspend:
 *  1. before the call, `reserve` adds an upper bound of the request's cost to the period's
 *     reservations, atomically and only if `spent + reserved + bound <= budget` (a conditional update
 *     of the period's document, see atomic-document.ts); otherwise the request is refused;
 *  2. after it, `settle` moves the reservation to `spent` at the actual cost (the bound is an upper
 *     bound, so spent stays within the budget); a failed request settles at what it cost, usually 0.
 * Each reservation is an entry of the period's document (`reservations.<id>`), added and removed by
 * the same conditional updates that move the amounts, so one write reserves and one settles;
 * settling twice is harmless (the entry is gone: only the cost is added), and a reservation left
 * by a replica that died is released by `releaseStale` once it is older than `holdMs` (15 minutes).
 * Amounts are kept as integer nano-units of the currency, so sums never drift.
 */
import type { Collection, DocumentStore } from '@keel/doc-store';
import { changeAtomically, type Versioned } from './atomic-document.js';
import { createBudgetLeases, type LeaseOptions } from './budget-leases.js';
import { type Budget, type BudgetPeriod, type Scope, scopeId } from './limit-settings.js';

export const nanosPerUnit = 1_000_000_000;
export const toNanos = (amount: number) => Math.round(amount * nanosPerUnit);
export const fromNanos = (nanos: number) => nanos / nanosPerUnit;

interface Reservation {
  amountNanos: number;
  staleAt: number;
  /** A replica's slice (budget-leases.ts), not one request's reservation. */
  lease?: boolean;
}

interface PeriodSpend extends Versioned {
  scope: string;
  period: BudgetPeriod;
  periodStart: string;
  spentNanos: number;
  reservedNanos: number;
  reservations: Record<string, Reservation>;
  expiresAt: number;
}

export interface ScopedBudget {
  scope: Scope;
  budget: Budget;
}

export interface BudgetReservation {
  /** `leased`: held in this replica's slice of the period, settled in memory. */
  parts: { spendId: string; reservationId: string; amountNanos: number; leased?: boolean }[];
}

export interface BudgetRefusal {
  scope: Scope;
  budget: Budget;
  spent: number;
  reserved: number;
  /** When the period ends (epoch ms). */
  resetsAt: number;
}

export interface PeriodView {
  scope: string;
  period: BudgetPeriod;
  periodStart: string;
  spent: number;
  reserved: number;
}

export interface Budgets {
  reserve(
    requestId: string,
    scopes: readonly ScopedBudget[],
    amountNanos: number,
    now: number,
  ): Promise<{ reservation: BudgetReservation } | { refused: BudgetRefusal }>;
  /** Moves each part's reservation to spent at `actualNanos` (0 releases it). */
  settle(reservation: BudgetReservation, actualNanos: number): Promise<void>;
  /** The period's figures so far, in currency units. */
  current(scope: Scope, period: BudgetPeriod, now: number): Promise<PeriodView>;
  /**
   * Releases the reservations older than the hold; returns how many. A stale lease (the slice of
   * a replica that died) is charged in full: what that replica settled from it was never written.
   */
  releaseStale(now: number): Promise<number>;
  /** Writes what was settled in memory and gives back every slice beyond what is in flight. */
  releaseLeases(): Promise<void>;
  /** Stops the background writes of the leases, after releasing them. */
  stop(): Promise<void>;
}

export function periodOf(period: BudgetPeriod, now: number): { start: string; endsAt: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    const day = date.getUTCDate();
    return { start: date.toISOString().slice(0, 10), endsAt: Date.UTC(year, month, day + 1) };
  }
  return { start: date.toISOString().slice(0, 7), endsAt: Date.UTC(year, month + 1, 1) };
}

const keepPeriodsMs = 400 * 24 * 3_600_000;

/** Reservation ids become field names: letters, digits, `_` and `-` only. */
const reservationIdOf = (requestId: string) => `r_${requestId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * `leases` (off unless given): reserve and settle in memory against this replica's slice of each
 * period (budget-leases.ts) instead of one write per request and scope.
 */
export async function createBudgets(
  store: DocumentStore,
  options: { holdMs?: number; leases?: LeaseOptions | boolean; now?: () => number } = {},
): Promise<Budgets> {
  const holdMs = options.holdMs ?? 15 * 60_000;
  const spends: Collection<PeriodSpend> = await store.collection<PeriodSpend>('budget_periods', {
    indexes: [{ fields: ['reservedNanos'] }],
    ttlField: 'expiresAt',
  });

  const spendIdOf = (scope: Scope, period: BudgetPeriod, now: number) =>
    `${scopeId(scope)}@${period}:${periodOf(period, now).start}`;

  const initial = (scope: Scope, period: BudgetPeriod, now: number) => () => {
    const { start, endsAt } = periodOf(period, now);
    return {
      scope: scopeId(scope),
      period,
      periodStart: start,
      spentNanos: 0,
      reservedNanos: 0,
      reservations: {},
      expiresAt: endsAt + keepPeriodsMs,
    };
  };

  const vanished = (spendId: string) => () => {
    throw new Error(`budget period ${spendId} vanished`);
  };

  /**
   * Removes the reservations `ids` still held, adding `spentNanos` to spent (once, even if none was
   * held); a lease among them is charged in full.
   */
  const release = (spendId: string, ids: readonly string[], spentNanos: number) =>
    changeAtomically(spends, spendId, vanished(spendId), (current) => {
      const reservations = { ...current.reservations };
      let freed = 0;
      let charged = 0;
      for (const id of ids) {
        const held = reservations[id];
        if (!held) continue;
        freed += held.amountNanos;
        if (held.lease) charged += held.amountNanos;
        delete reservations[id];
      }
      if (freed === 0 && spentNanos === 0) return null;
      return {
        reservations,
        reservedNanos: Math.max(0, current.reservedNanos - freed),
        spentNanos: current.spentNanos + spentNanos + charged,
      };
    });

  const leases =
    options.leases === undefined || options.leases === false
      ? undefined
      : createBudgetLeases(spends as never, {
          ...(options.leases === true ? {} : options.leases),
          holdMs,
          ...(options.now ? { now: options.now } : {}),
        });

  const unreserve = (parts: BudgetReservation['parts']) =>
    Promise.all(
      parts.map((part) =>
        part.leased
          ? leases?.unreserve(part.spendId, part.amountNanos)
          : release(part.spendId, [part.reservationId], 0),
      ),
    );

  return {
    async reserve(requestId, scopes, amountNanos, now) {
      const reservation: BudgetReservation = { parts: [] };
      const reservationId = reservationIdOf(requestId);
      for (const { scope, budget } of scopes) {
        const spendId = spendIdOf(scope, budget.period, now);
        const limit = toNanos(budget.amount);
        if (leases) {
          const leased = await leases.reserve(spendId, limit, amountNanos, now, initial(scope, budget.period, now));
          if (leased.reserved) {
            reservation.parts.push({ spendId, reservationId, amountNanos, leased: true });
            continue;
          }
          await unreserve(reservation.parts);
          return { refused: refusalOf(scope, budget, leased.document as unknown as PeriodSpend, now) };
        }
        const { document, applied } = await changeAtomically(
          spends,
          spendId,
          initial(scope, budget.period, now),
          (current) =>
            current.spentNanos + current.reservedNanos + amountNanos > limit
              ? null
              : {
                  reservedNanos: current.reservedNanos + amountNanos,
                  reservations: { ...current.reservations, [reservationId]: { amountNanos, staleAt: now + holdMs } },
                },
        );
        if (!applied) {
          await unreserve(reservation.parts);
          return { refused: refusalOf(scope, budget, document, now) };
        }
        reservation.parts.push({ spendId, reservationId, amountNanos });
      }
      return { reservation };
    },
    async settle(reservation, actualNanos) {
      await Promise.all(
        reservation.parts.map((part) => {
          // A part settles once: the second settle of a leased part charges its cost again, as an
          // exact part's second settle does (its reservation is gone, so the cost goes to spent).
          if (part.leased && leases?.settle(part.spendId, part.amountNanos, actualNanos)) {
            part.amountNanos = 0;
            return undefined;
          }
          return release(part.spendId, [part.reservationId], actualNanos);
        }),
      );
    },
    async current(scope, period, now) {
      const spendId = spendIdOf(scope, period, now);
      await leases?.flushPeriod(spendId);
      const spend = await spends.get(spendId);
      return {
        scope: scopeId(scope),
        period,
        periodStart: periodOf(period, now).start,
        spent: fromNanos(spend?.spentNanos ?? 0),
        reserved: fromNanos(spend?.reservedNanos ?? 0),
      };
    },
    async releaseStale(now) {
      let released = 0;
      let cursor: string | undefined;
      do {
        const page = await spends.find({
          where: { reservedNanos: { $gt: 0 } },
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
        for (const spend of page.items) {
          const stale = Object.entries(spend.reservations ?? {})
            .filter(([, held]) => held.staleAt <= now)
            .map(([id]) => id);
          if (stale.length === 0) continue;
          const before = Object.keys(spend.reservations).length;
          const { document } = await release(spend.id, stale, 0);
          released += before - Object.keys(document.reservations).length;
        }
        cursor = page.nextCursor;
      } while (cursor);
      return released;
    },
    async releaseLeases() {
      await leases?.release();
    },
    async stop() {
      await leases?.stop();
    },
  };
}

function refusalOf(scope: Scope, budget: Budget, document: PeriodSpend, now: number): BudgetRefusal {
  return {
    scope,
    budget,
    spent: fromNanos(document.spentNanos),
    reserved: fromNanos(document.reservedNanos),
    resetsAt: periodOf(budget.period, now).endsAt,
  };
}
