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
import { AUDIT_COLLECTION, type AuditRecord, auditCollectionOptions } from './audit/audit-log.js';
import type { HumanReviewConfig } from './config.js';
import { startExchangeConsumer, startReviewRequestedConsumer } from './inbound/event-consumers.js';
import { reviewRoutes } from './inbound/http-routes.js';
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

    const requests = await startReviewRequestedConsumer(bus, { reviews, exchanges, now, logger });
    shutdown.add('review request consumer', () => requests.stop());
    const completions = await startExchangeConsumer(bus, { reviews, exchanges, now, logger });
    shutdown.add('exchange consumer', () => completions.stop());

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    const routes = reviewRoutes({
      reviews,
      exchanges,
      now,
      publisher: new EventPublisher(bus),
      logger,
      apiKeys,
      leaseSeconds: config.leaseSeconds,
      audit,
    });
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      bodyLimit: HTTP_LIMITS.bodyLimit,
      ...config.http,
      handlers: [routes],
    });
    // Added last, so stopped first: no new decisions while the consumer drains.
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
