/**
 * Rate-limit leases: instead of one conditional update per request and scope, a replica counts a
 * batch of request slots into a window at once and admits from them in memory; tokens are counted
 * in memory and written at the next sync.
 *
 * Requests per minute stay exact across replicas: a batch is granted only from what the window
 * has left (`requests + batch <= limit`, decided by the conditional update), so the slots every
 * replica holds never add up to more than the limit; slots not used are given back when the
 * window goes idle on this replica (`idleMs`) or at shutdown. A request that finds no slot here
 * asks the store for more, and is refused only when the store has none left.
 *
 * Tokens per minute are, as without leases, a threshold on what was already counted (a request is
 * not refused for what it may generate): each replica compares the window's tokens as of its last
 * sync (at most `flushMs`, 250 ms, old: an older view is synced first) plus its own unwritten
 * ones, writes them every `flushMs`, and decides a refusal on a fresh sync, so another replica's
 * tokens are seen at most about two flushes late.
 *
 * Batches are sized as budget slices are (budget-leases.ts): what the request needs plus the
 * replica's recent demand over `horizonMs` (at least `minRequests`), capped at `shareOfRemaining`
 * of what the window has left beyond it.
 */
import type { Collection } from '@keel/doc-store';
import { changeAtomically } from './atomic-document.js';
import { type LeaseOptions, leaseSettingsOf } from './budget-leases.js';
import { type Limits, scopeId } from './limit-settings.js';
import { limited, mergeState, type RateLimiter, type RateLimitState, type Window, windowMs } from './rate-windows.js';

interface WindowLease {
  id: string;
  windowStart: number;
  /** Request slots this replica counted into the window, and how many it used. */
  granted: number;
  used: number;
  /** Tokens counted here and not written yet (negative when settlements gave some back). */
  tokens: number;
  /** The window as the last sync left it. */
  stored: { requests: number; tokens: number };
  demand: number;
  lastSyncAt: number;
  lastUsedAt: number;
  syncing: Promise<boolean> | undefined;
}

export function createWindowLeases(
  windows: Collection<Window>,
  options: LeaseOptions & { now?: () => number },
): RateLimiter {
  const { flushMs, idleMs, horizonMs, minRequests, share, clock } = leaseSettingsOf(options);
  const leases = new Map<string, WindowLease>();

  const leaseOf = (id: string, windowStart: number, at: number): WindowLease => {
    let lease = leases.get(id);
    if (!lease) {
      lease = {
        id,
        windowStart,
        granted: 0,
        used: 0,
        tokens: 0,
        stored: { requests: 0, tokens: 0 },
        demand: 0,
        lastSyncAt: at,
        lastUsedAt: at,
        syncing: undefined,
      };
      leases.set(id, lease);
    }
    return lease;
  };

  /** What the window holds as seen from here: its requests less the slots unused here, its tokens plus ours. */
  const viewOf = (lease: WindowLease): Window => ({
    id: lease.id,
    rev: 0,
    requests: lease.stored.requests - (lease.granted - lease.used),
    tokens: lease.stored.tokens + lease.tokens,
    expiresAt: lease.windowStart + 2 * windowMs,
  });

  const tokensSpent = (lease: WindowLease, limits: Limits) =>
    limits.tokensPerMinute !== null && viewOf(lease).tokens >= limits.tokensPerMinute;

  /**
   * One conditional update of the window: writes the tokens counted here and, for `grow`, asks for
   * a slot for this request (taken at once when granted) plus a batch; `shrink` gives unused slots
   * back. Resolves whether the request was admitted (always false but for `grow`).
   */
  const sync = (
    lease: WindowLease,
    mode: 'grow' | 'keep' | 'shrink',
    request?: { limits: Limits; estimate: number },
  ): Promise<boolean> => {
    const run = (async () => {
      let flushed = 0;
      let extra = 0;
      let admitted = false;
      const at = clock();
      const expiresAt = lease.windowStart + 2 * windowMs;
      const { document } = await changeAtomically(
        windows,
        lease.id,
        () => ({ requests: 0, tokens: 0, expiresAt }),
        (current) => {
          flushed = lease.tokens;
          const tokens = Math.max(0, current.tokens + flushed);
          extra = 0;
          admitted = false;
          if (mode === 'grow' && request) {
            const { requestsPerMinute, tokensPerMinute } = request.limits;
            const tokensLeft = tokensPerMinute === null || tokens < tokensPerMinute;
            const available =
              requestsPerMinute === null ? Number.POSITIVE_INFINITY : requestsPerMinute - current.requests;
            admitted = tokensLeft && available >= 1;
            if (admitted && requestsPerMinute !== null) {
              // At least a tenth of the horizon: a burst just after a sync is not a rate.
              const elapsed = Math.max(horizonMs / 10, at - lease.lastSyncAt);
              const recent = Math.ceil(((lease.demand + 1) * horizonMs) / elapsed);
              extra = 1 + Math.max(0, Math.min(Math.max(recent, minRequests), Math.floor((available - 1) * share)));
            }
          } else if (mode === 'shrink') {
            extra = -(lease.granted - lease.used);
          }
          if (extra === 0 && flushed === 0) return null;
          return { requests: Math.max(0, current.requests + extra), tokens };
        },
      );
      lease.tokens -= flushed;
      lease.granted += extra;
      lease.stored = { requests: document.requests, tokens: document.tokens };
      lease.lastSyncAt = at;
      lease.demand = 0;
      if (admitted && request) {
        if (request.limits.requestsPerMinute !== null) lease.used += 1;
        lease.tokens += request.estimate;
        lease.demand += 1;
      }
      return admitted;
    })();
    lease.syncing = run;
    const done = () => {
      if (lease.syncing === run) lease.syncing = undefined;
    };
    void run.then(done, done);
    return run;
  };

  const untilIdle = async (lease: WindowLease) => {
    while (lease.syncing) await lease.syncing.catch(() => undefined);
  };

  const flushOne = async (lease: WindowLease, mode: 'keep' | 'shrink') => {
    await untilIdle(lease);
    await sync(lease, mode);
    if (lease.granted === lease.used && lease.tokens === 0 && (mode === 'shrink' || ended(lease, clock()))) {
      leases.delete(lease.id);
    }
  };

  const ended = (lease: WindowLease, at: number) => at >= lease.windowStart + windowMs;

  let timerRun: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const at = clock();
    const due: [WindowLease, 'keep' | 'shrink'][] = [];
    for (const lease of leases.values()) {
      if (lease.syncing) continue;
      const idle = at - lease.lastUsedAt >= idleMs;
      if (ended(lease, at) && lease.tokens === 0) leases.delete(lease.id);
      else if (idle && lease.granted > lease.used) due.push([lease, 'shrink']);
      else if (lease.tokens !== 0) due.push([lease, 'keep']);
      else if (idle) leases.delete(lease.id);
    }
    if (due.length > 0) timerRun = Promise.allSettled(due.map(([lease, mode]) => flushOne(lease, mode)));
  }, flushMs);
  timer.unref();

  return {
    async admit(scopes, estimatedTokens, now) {
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const resetMs = windowStart + windowMs - now;
      const state: RateLimitState = {};
      const counted: { lease: WindowLease; slot: boolean }[] = [];
      const tokenWindows: string[] = [];
      for (const { scope, limits } of scopes) {
        if (!limited(limits)) continue;
        // Idleness is real time (the timer's), whatever clock the caller decides windows on.
        const lease = leaseOf(`${scopeId(scope)}@${windowStart}`, windowStart, clock());
        lease.lastUsedAt = clock();
        const slot = limits.requestsPerMinute !== null;
        let admitted = false;
        for (;;) {
          if (lease.syncing) {
            await untilIdle(lease);
            continue;
          }
          // A token limit is decided on a view at most one flush old: an older one is synced first.
          const current = limits.tokensPerMinute === null || clock() - lease.lastSyncAt < flushMs;
          if (current && (!slot || lease.used < lease.granted) && !tokensSpent(lease, limits)) {
            if (slot) lease.used += 1;
            lease.tokens += estimatedTokens;
            lease.demand += 1;
            admitted = true;
            break;
          }
          admitted = await sync(lease, 'grow', { limits, estimate: estimatedTokens });
          break;
        }
        mergeState(state, limits, viewOf(lease), resetMs);
        if (!admitted) {
          // Undo what the scopes before this one counted: the request is not served.
          for (const earlier of counted) {
            if (earlier.slot) earlier.lease.used -= 1;
            earlier.lease.tokens -= estimatedTokens;
          }
          const what = tokensSpent(lease, limits) ? 'tokens' : 'requests';
          return {
            admitted: false,
            state,
            retryAfterMs: resetMs,
            refusedBy: { scope, what },
            ticket: { windowIds: [], reservedTokens: 0 },
          };
        }
        counted.push({ lease, slot });
        if (limits.tokensPerMinute !== null) tokenWindows.push(lease.id);
      }
      return { admitted: true, state, ticket: { windowIds: tokenWindows, reservedTokens: estimatedTokens } };
    },
    async settle(ticket, usedTokens) {
      const delta = usedTokens - ticket.reservedTokens;
      if (delta === 0 || ticket.windowIds.length === 0) return;
      const at = clock();
      await Promise.all(
        ticket.windowIds.map(async (id) => {
          const windowStart = Number(id.slice(id.lastIndexOf('@') + 1));
          const lease = leaseOf(id, windowStart, at);
          lease.tokens += delta;
        }),
      );
    },
    async releaseLeases() {
      await timerRun;
      await Promise.all([...leases.values()].map((lease) => flushOne(lease, 'shrink')));
    },
    async stop() {
      clearInterval(timer);
      await this.releaseLeases();
    },
  };
}
