/**
 * Wires human-review from the ports it is given: the review and exchange collections, the
 * consumers of review requests and of completed (escalated) exchanges, the reviewers' HTTP API
 * and readiness. Exported so that tests and the one-process launcher start it with their adapters.
 */
import type { DocumentStore } from '@keel/doc-store';
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import {
  createStaticApiKeyResolver,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
} from '@keel/platform';
import { ensureConfiguredAccounts, openAccounts } from './accounts/account-setup.js';
import { AUDIT_COLLECTION, type AuditRecord, auditCollectionOptions } from './audit/audit-log.js';
import type { HumanReviewConfig } from './config.js';
import {
  type AnswerEvaluation,
  type AnswerPolicyDecision,
  EVALUATIONS_COLLECTION,
  evaluationsCollectionOptions,
  POLICY_DECISIONS_COLLECTION,
  policyDecisionsCollectionOptions,
} from './context/answer-context.js';
import { createLineageClient } from './context/lineage-client.js';
import { accountRoutes } from './inbound/account-routes.js';
import { auditRoutes } from './inbound/audit-routes.js';
import { type AuthenticateDeps, authenticate } from './inbound/authenticate.js';
import { consoleRoutes } from './inbound/console-static.js';
import { contextRoutes } from './inbound/context-routes.js';
import {
  startExchangeConsumer,
  startFindingsConsumer,
  startReviewRequestedConsumer,
  startScoresConsumer,
} from './inbound/event-consumers.js';
import { reviewRoutes } from './inbound/http-routes.js';
import { sessionRoutes } from './inbound/session-routes.js';
import { adoptLegacyItems } from './queues/adopt-legacy-items.js';
import { openWorkCollections } from './queues/open-work.js';
import { startSweeper, sweepSla } from './queues/sla-sweep.js';
import {
  type EscalatedExchange,
  EXCHANGES_COLLECTION,
  exchangesCollectionOptions,
} from './reviews/escalated-exchange.js';
import { REVIEWS_COLLECTION, type ReviewItem, reviewsCollectionOptions } from './reviews/review-item.js';
import { HTTP_LIMITS } from './reviews/review-limits.js';

export interface HumanReviewDeps {
  bus: EventBus;
  store: DocumentStore;
  logger: Logger;
  /** Epoch milliseconds; tests pin it. */
  now?: () => number;
}

export type { HumanReviewConfig } from './config.js';
export { loadHumanReviewConfig } from './config.js';

export async function startHumanReviewService(
  deps: HumanReviewDeps,
  config: HumanReviewConfig,
): Promise<RunningService> {
  const { bus, store, logger } = deps;
  const now = deps.now ?? Date.now;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('event-bus', () => bus.health());
    readiness.register('doc-store', () => store.health());

    await ensureKeelTopics(bus);
    const reviews = await store.collection<ReviewItem>(REVIEWS_COLLECTION, reviewsCollectionOptions);
    const exchanges = await store.collection<EscalatedExchange>(EXCHANGES_COLLECTION, exchangesCollectionOptions);
    const audit = await store.collection<AuditRecord>(AUDIT_COLLECTION, auditCollectionOptions);
    // Queues: items from before them are adopted into `default` before anything reads them.
    const work = await openWorkCollections(store);
    const adopt = () => adoptLegacyItems({ reviews, queues: work.queues, now, logger });
    await adopt();
    const accounts = await openAccounts(store, audit, now);
    await ensureConfiguredAccounts(accounts, config.console, logger);

    const requests = await startReviewRequestedConsumer(bus, {
      reviews,
      exchanges,
      now,
      logger,
      queues: work.queues,
      requestKeys: work.requestKeys,
    });
    shutdown.add('review request consumer', () => requests.stop());
    const completions = await startExchangeConsumer(bus, { reviews, exchanges, now, logger });
    shutdown.add('exchange consumer', () => completions.stop());
    const context = {
      evaluations: await store.collection<AnswerEvaluation>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions),
      policyDecisions: await store.collection<AnswerPolicyDecision>(
        POLICY_DECISIONS_COLLECTION,
        policyDecisionsCollectionOptions,
      ),
      now,
    };
    const scores = await startScoresConsumer(bus, context);
    shutdown.add('scores consumer', () => scores.stop());
    const findings = await startFindingsConsumer(bus, context);
    shutdown.add('findings consumer', () => findings.stop());
    // Every 30 s: SLA breaches, and items an older instance queued without a queue (rolling deploys).
    const sweeper = startSweeper(async () => {
      await adopt();
      await sweepSla({ reviews, audit, now });
    }, logger);
    shutdown.add('SLA sweep', () => sweeper.stop());

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    // A person's session or an API key (or the admin key) on every /v1 route: inbound/authenticate.ts.
    const auth: AuthenticateDeps & typeof accounts = {
      ...accounts,
      apiKeys,
      ...(config.console.adminApiKey ? { adminApiKey: config.console.adminApiKey } : {}),
      sessionMs: config.console.sessionMs,
      cookie: { secure: config.console.cookieSecure },
    };
    const routes = reviewRoutes({
      reviews,
      exchanges,
      now,
      publisher: new EventPublisher(bus),
      logger,
      apiKeys,
      authenticate: authenticate(auth),
      leaseSeconds: config.leaseSeconds,
      audit,
      ...work,
    });
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      bodyLimit: HTTP_LIMITS.bodyLimit,
      ...config.http,
      // Sign-in first (it needs no credentials); the console's pages last, after every API route.
      handlers: [
        sessionRoutes({ ...auth, reviews, logger }),
        routes,
        // After `routes`, whose /v1 middleware authenticates every /v1 request first.
        contextRoutes({ reviews, exchanges, now, context, lineage: createLineageClient(config.lineage) }),
        accountRoutes({ ...auth, reviews }),
        auditRoutes(auth),
        consoleRoutes({ dir: config.console.consoleDir }),
      ],
    });
    // Added last, so stopped first: no new decisions while the consumer drains.
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
