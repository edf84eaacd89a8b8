/**
 * `GET /v1/evaluations:stats`: the online path of the caller's tenant at a glance: its sample
 * rate and what happened to its completions since this process started (scored, sampled out,
 * not scorable), its drift window (open window, baseline, last alerts) and whether the judge is on.
 * Aggregates only, no answer text: any key of the tenant may read them.
 */
import { type ApiKeyResolver, asyncRoute, principalOf, requireApiKey } from '@keel/platform';
import express from 'express';
import type { DriftAlertRecord } from '../drift/drift-state.js';
import { summarize } from '../drift/drift-window.js';
import type { OnlineEvaluation } from '../evaluations/online-evaluation.js';
import { rateFor } from '../sampling/sample-rates.js';

export interface OnlineStatsRoutesDeps {
  online: OnlineEvaluation;
  apiKeys: ApiKeyResolver;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function alertView(alert: DriftAlertRecord) {
  return {
    alertId: alert.alertId,
    metric: alert.metric,
    value: alert.window.values[alert.metric] ?? null,
    baseline: alert.baseline.values[alert.metric] ?? null,
    drop: alert.drop,
    threshold: alert.threshold,
    window: {
      index: alert.window.index,
      count: alert.window.count,
      start: iso(alert.window.start),
      end: iso(alert.window.end),
    },
    reviewIds: alert.reviewIds,
    detectedAt: iso(alert.detectedAt),
  };
}

export function onlineStatsRoutes(deps: OnlineStatsRoutesDeps): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(deps.apiKeys));
  // Express 5 paths treat ':' as a parameter; the backslash makes it the literal of `:stats`.
  router.get(
    '/v1/evaluations\\:stats',
    asyncRoute(async (_req, res) => {
      const { tenantId } = principalOf(res);
      const { online } = deps;
      const state = online.drift ? await online.drift.stateOf(tenantId) : null;
      const current = state ? summarize(state.current) : null;
      res.json({
        tenantId,
        sampling: {
          rate: rateFor(online.sampling, tenantId),
          since: iso(online.counters.since),
          ...online.counters.of(tenantId),
        },
        drift: online.driftConfig
          ? {
              window: online.driftConfig.window,
              threshold: online.driftConfig.threshold,
              minAnswers: online.driftConfig.minAnswers,
              current:
                current && current.count > 0
                  ? { index: current.index, count: current.count, values: current.values }
                  : null,
              baseline: state?.baseline
                ? { index: state.baseline.index, count: state.baseline.count, values: state.baseline.values }
                : null,
              recentAlerts: (state?.recentAlerts ?? []).map(alertView).reverse(),
            }
          : null,
        judge: online.judge ? { model: online.judge.model, promptVersion: online.judge.promptVersion } : null,
      });
    }),
  );
  return router;
}
