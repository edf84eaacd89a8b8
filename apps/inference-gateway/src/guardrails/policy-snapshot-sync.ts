/**
 * Keeps the gateway's compiled policies current while the policy service owns them: it follows
 * `keel.policy.changed.v1` (each replica in its own consumer group, from the end: every replica
 * sees every change) and fetches every current policy (`Policy/ListPolicies`, page by page) at
 * start, retrying until it succeeds, then again every `refreshMs` as a safety net for a change
 * event that never arrived. The cache applies only newer versions, so the order of the two never
 * undoes a change.
 *
 * Readiness (`policy-snapshot`): not ready until the first fetch completed (missing: no policy to
 * apply); ready but reported `stale` once the fetches have failed for three refresh periods (the
 * snapshot serves, and changes still arrive as events, but a missed one would not be repaired).
 *
 * A policy service too old to list policies (ListPolicies UNIMPLEMENTED, during a rolling upgrade)
 * makes `unsupported` say so: the caller then checks remotely, and the fetch is tried again every
 * refresh period until the service can answer it.
 */
import { hostname } from 'node:os';
import { type EventBus, type Subscription, subscribeToEvents } from '@keel/event-bus';
import { type CheckResult, isKeelError, type Logger } from '@keel/platform';
import { type PolicySnapshot, PolicySnapshotCache, snapshotOfPolicyChanged } from '@keel/policy-engine';

const grpcUnimplemented = 12;

export type FetchPolicies = () => AsyncIterable<readonly PolicySnapshot[]>;

export interface PolicySnapshotSync {
  readonly snapshots: PolicySnapshotCache;
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): Promise<CheckResult>;
  /** Resolves once the first fetch has completed (tests, the benchmark). */
  loaded(): Promise<void>;
  /** Set while the policy service cannot list policies (too old): why. */
  readonly unsupported: string | undefined;
}

export function createPolicySnapshotSync(deps: {
  bus: EventBus;
  fetchPolicies: FetchPolicies;
  logger: Logger;
  refreshMs: number;
  retryMs?: number;
  clock?: () => number;
  /** The consumer group; default unique per process, so that every replica gets every change. */
  groupId?: string;
}): PolicySnapshotSync {
  const clock = deps.clock ?? Date.now;
  const retryMs = deps.retryMs ?? 5_000;
  const snapshots = new PolicySnapshotCache({
    onError: (error) => deps.logger.error({ err: error }, 'policy snapshot not applied: the previous version serves'),
  });
  let subscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastFetchAt: number | undefined;
  let lastError = '';
  let unsupported: string | undefined;
  let markLoaded: () => void = () => {};
  const loadedOnce = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void fetchAll(), ms);
    timer.unref();
  };

  async function fetchAll(): Promise<void> {
    try {
      const applied = await snapshots.load(deps.fetchPolicies());
      lastFetchAt = clock();
      lastError = '';
      unsupported = undefined;
      markLoaded();
      deps.logger.debug({ applied }, 'policy snapshots fetched');
      schedule(deps.refreshMs);
    } catch (error) {
      lastError = (error as Error).message;
      if (
        !snapshots.ready &&
        isKeelError(error) &&
        (error.cause as { code?: number } | undefined)?.code === grpcUnimplemented
      ) {
        if (!unsupported)
          deps.logger.warn({ err: error }, 'the policy service cannot list policies: checking remotely');
        unsupported = lastError;
        schedule(deps.refreshMs);
        return;
      }
      deps.logger.warn({ err: error }, 'policy snapshots could not be fetched; retrying');
      schedule(snapshots.ready ? Math.min(retryMs, deps.refreshMs) : retryMs);
    }
  }

  return {
    snapshots,
    async start() {
      subscription = await subscribeToEvents(deps.bus, {
        topic: 'keel.policy.changed.v1',
        groupId: deps.groupId ?? `inference-gateway.policies.${hostname()}.${process.pid}.${Date.now().toString(36)}`,
        // The fetch covers what happened before; only changes from now on are needed.
        fromBeginning: false,
        async handle(event) {
          if (snapshots.apply(snapshotOfPolicyChanged(event.payload))) {
            deps.logger.info(
              { tenant_id: event.payload.tenantId, policy_version: event.payload.policyVersion },
              'policy changed: applied in process',
            );
          }
        },
      });
      void fetchAll();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await subscription?.stop();
    },
    async readiness() {
      if (unsupported && !snapshots.ready) {
        return { ok: true, detail: `unsupported by the policy service, checking remotely (${unsupported})` };
      }
      if (!snapshots.ready) {
        return {
          ok: false,
          detail: `missing: no policy fetched from the policy service yet${lastError ? ` (${lastError})` : ''}`,
        };
      }
      const age = clock() - (lastFetchAt ?? 0);
      if (lastError && age > 3 * deps.refreshMs) {
        return { ok: true, detail: `stale: last fetched ${Math.round(age / 1000)} s ago (${lastError})` };
      }
      return { ok: true, detail: `fetched ${Math.round(age / 1000)} s ago` };
    },
    loaded: () => loadedOnce,
    get unsupported() {
      return unsupported;
    },
  };
}
