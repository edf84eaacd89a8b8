/**
 * Budget leases: each replica holds a slice of a budget period (one entry `l_<replica>` in the
 * period's reservations, marked `lease`) and reserves and settles requests against it in memory,
 * so a request costs no write of the store while its slice has room.
 *
 * Why it cannot overspend: a slice is granted by the same conditional update as an exact
 * reservation, and only if `spent + reserved + slice <= budget` (the reserved sum counts every
 * replica's slice); in memory, what a replica has reserved for requests in flight plus what they
 * settled and it has not written yet never exceeds its slice. Settled amounts move from the slice
 * to `spent` at the next sync (every `flushMs` while there is any, and whenever the slice runs out).
 *
 * Sizing: a slice holds what the request needs plus headroom for about `horizonMs` of the
 * replica's recent demand (at least `minRequests` such requests), capped at `shareOfRemaining` of
 * what the budget has left beyond it, so other replicas always keep most of the remainder. A
 * request the slice cannot hold goes to the store: the slice is extended by what it needs if the
 * budget can cover it, and otherwise the slice shrinks to what is in flight and the request is
 * refused, decided on the state the store holds. A slice nobody used for `idleMs` is given back.
 *
 * A replica that dies with a slice cannot say what it spent: `releaseStale` charges a stale lease
 * in full (the ledger keeps what was really recorded), so the budget stays within bounds.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from '@keel/doc-store';
import { changeAtomically } from './atomic-document.js';

export interface LeaseOptions {
  /** How often settled amounts are written and idle slices returned; default 250 ms. */
  flushMs?: number;
  /** A slice unused this long goes back; default 2 s. */
  idleMs?: number;
  /** Demand the headroom covers; default 1 s. */
  horizonMs?: number;
  /** Headroom of at least this many requests of the size asked; default 8. */
  minRequests?: number;
  /** The most of the budget's remainder one slice may take beyond what it needs; default 0.25. */
  shareOfRemaining?: number;
}

/** LeaseOptions with their defaults, and the clock leases run on: one place for both kinds of lease. */
export function leaseSettingsOf(options: LeaseOptions & { now?: () => number }) {
  return {
    flushMs: options.flushMs ?? 250,
    idleMs: options.idleMs ?? 2_000,
    horizonMs: options.horizonMs ?? 1_000,
    minRequests: options.minRequests ?? 8,
    share: options.shareOfRemaining ?? 0.25,
    clock: options.now ?? Date.now,
  };
}

/** The fields of a budget period document the leases read and write (see budgets.ts). */
export interface LeasedSpend {
  id: string;
  rev: number;
  spentNanos: number;
  reservedNanos: number;
  reservations: Record<string, { amountNanos: number; staleAt: number; lease?: boolean }>;
}

interface Lease {
  spendId: string;
  limit: number;
  /** The slice as the store holds it. */
  granted: number;
  /** Reserved by requests in flight. */
  reserved: number;
  /** Settled by requests and not written yet. */
  spent: number;
  /** Reserved since the last sync: the recent demand. */
  demand: number;
  lastSyncAt: number;
  lastUsedAt: number;
  staleAt: number;
  syncing: Promise<SyncOutcome> | undefined;
}

interface SyncOutcome {
  fits: boolean;
  document: LeasedSpend;
}

export interface BudgetLeases {
  /** Reserves `amount` on the period's slice; `undefined` fields mean refused (with the period as the store holds it). */
  reserve(
    spendId: string,
    limit: number,
    amount: number,
    now: number,
    initial: () => Omit<LeasedSpend, 'id' | 'rev'>,
  ): Promise<{ reserved: true } | { reserved: false; document: LeasedSpend }>;
  /** Settles a leased reservation; false when this replica holds no slice of that period any more. */
  settle(spendId: string, reservedNanos: number, actualNanos: number): boolean;
  /** Undoes a leased reservation of a request that was refused elsewhere. */
  unreserve(spendId: string, reservedNanos: number): void;
  /** Writes what was settled in a period (before it is read). */
  flushPeriod(spendId: string): Promise<void>;
  /** Writes everything settled and gives every slice back except what is in flight. */
  release(): Promise<void>;
  stop(): Promise<void>;
}

export function createBudgetLeases(
  spends: Collection<LeasedSpend & Record<string, unknown>>,
  options: LeaseOptions & { holdMs: number; now?: () => number },
): BudgetLeases {
  const { flushMs, idleMs, horizonMs, minRequests, share, clock } = leaseSettingsOf(options);
  const leaseId = `l_${randomUUID().replace(/-/g, '')}`;
  const leases = new Map<string, Lease>();

  /**
   * One conditional update of the period: writes what was settled, and sets the slice to hold
   * what is in flight plus `need` plus headroom (`keep`: hold at least the current slice; `shrink`:
   * only what is in flight). `fits` tells whether `need` was granted.
   */
  const sync = (
    lease: Lease,
    need: number,
    mode: 'grow' | 'keep' | 'shrink',
    initial: () => Omit<LeasedSpend, 'id' | 'rev'>,
    at = clock(),
  ) => {
    const run = (async (): Promise<SyncOutcome> => {
      let flushed = 0;
      let written = 0;
      let next = lease.granted;
      let fits = false;
      const { document } = await changeAtomically(spends, lease.spendId, initial as never, (current) => {
        const held = current.reservations?.[leaseId];
        // A slice swept as stale was charged in full, which covers what it held: start afresh.
        const heldAmount = held?.lease ? held.amountNanos : 0;
        flushed = lease.spent;
        written = heldAmount > 0 || lease.granted === 0 ? flushed : 0;
        const others = current.reservedNanos - heldAmount;
        const spent = current.spentNanos + written;
        const available = lease.limit - spent - others;
        const inFlight = lease.reserved;
        const wanted = inFlight + need;
        fits = mode !== 'grow' || wanted <= available;
        if (mode === 'grow' && fits) {
          // At least a tenth of the horizon: a burst just after a sync is not a rate.
          const elapsed = Math.max(horizonMs / 10, at - lease.lastSyncAt);
          const recent = Math.ceil((lease.demand * horizonMs) / elapsed);
          const headroom = Math.min(Math.max(recent, need * minRequests), Math.floor((available - wanted) * share));
          next = wanted + Math.max(0, headroom);
        } else if (mode === 'keep') {
          next = Math.max(inFlight, Math.min(lease.granted, available));
        } else {
          next = inFlight;
        }
        const staleAt = at + options.holdMs;
        const refresh = next > 0 && (!held || held.staleAt - at < options.holdMs / 2);
        if (next === heldAmount && written === 0 && !refresh) return null;
        const reservations = { ...current.reservations };
        if (next > 0) reservations[leaseId] = { amountNanos: next, staleAt, lease: true };
        else delete reservations[leaseId];
        return { spentNanos: spent, reservedNanos: others + next, reservations } as never;
      });
      lease.spent -= flushed;
      lease.granted = next;
      lease.staleAt = document.reservations?.[leaseId]?.staleAt ?? 0;
      lease.lastSyncAt = at;
      lease.demand = 0;
      if (fits && mode === 'grow') {
        lease.reserved += need;
        lease.demand += need;
      }
      return { fits, document: document as LeasedSpend };
    })();
    lease.syncing = run;
    void run.then(
      () => {
        if (lease.syncing === run) lease.syncing = undefined;
      },
      () => {
        if (lease.syncing === run) lease.syncing = undefined;
      },
    );
    return run;
  };

  const leaseOf = (spendId: string, limit: number): Lease => {
    let lease = leases.get(spendId);
    if (!lease) {
      const at = clock();
      lease = {
        spendId,
        limit,
        granted: 0,
        reserved: 0,
        spent: 0,
        demand: 0,
        lastSyncAt: at,
        lastUsedAt: at,
        staleAt: 0,
        syncing: undefined,
      };
      leases.set(spendId, lease);
    }
    // A changed budget applies from the next sync on; the slice already granted was within the old one.
    lease.limit = limit;
    return lease;
  };

  const initials = new Map<string, () => Omit<LeasedSpend, 'id' | 'rev'>>();
  const vanished = () => {
    throw new Error('budget period vanished');
  };

  const flushOne = async (lease: Lease, mode: 'keep' | 'shrink') => {
    while (lease.syncing) await lease.syncing.catch(() => undefined);
    await sync(lease, 0, mode, initials.get(lease.spendId) ?? vanished);
    if (lease.granted === 0 && lease.reserved === 0 && lease.spent === 0) {
      leases.delete(lease.spendId);
      initials.delete(lease.spendId);
    }
  };

  let timerRun: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const at = clock();
    const due = [...leases.values()].filter(
      (lease) =>
        !lease.syncing &&
        (lease.spent !== 0 ||
          (lease.reserved === 0 && at - lease.lastUsedAt >= idleMs) ||
          (lease.granted > 0 && lease.staleAt - at < options.holdMs / 2)),
    );
    if (due.length === 0) return;
    timerRun = Promise.allSettled(
      due.map((lease) => flushOne(lease, lease.reserved === 0 && at - lease.lastUsedAt >= idleMs ? 'shrink' : 'keep')),
    );
  }, flushMs);
  timer.unref();

  return {
    async reserve(spendId, limit, amount, now, initial) {
      initials.set(spendId, initial);
      const lease = leaseOf(spendId, limit);
      lease.lastUsedAt = clock();
      for (;;) {
        if (lease.syncing) {
          await lease.syncing.catch(() => undefined);
          continue;
        }
        if (lease.reserved + lease.spent + amount <= lease.granted) {
          lease.reserved += amount;
          lease.demand += amount;
          return { reserved: true };
        }
        const outcome = await sync(lease, amount, 'grow', initial, now);
        if (outcome.fits) return { reserved: true };
        return { reserved: false, document: outcome.document };
      }
    },
    settle(spendId, reservedNanos, actualNanos) {
      const lease = leases.get(spendId);
      if (!lease) return false;
      lease.reserved = Math.max(0, lease.reserved - reservedNanos);
      lease.spent += actualNanos;
      lease.lastUsedAt = clock();
      return true;
    },
    unreserve(spendId, reservedNanos) {
      const lease = leases.get(spendId);
      if (lease) lease.reserved = Math.max(0, lease.reserved - reservedNanos);
    },
    async flushPeriod(spendId) {
      const lease = leases.get(spendId);
      if (lease) await flushOne(lease, 'keep');
    },
    async release() {
      await timerRun;
      await Promise.all([...leases.values()].map((lease) => flushOne(lease, 'shrink')));
    },
    async stop() {
      clearInterval(timer);
      await this.release();
    },
  };
}
