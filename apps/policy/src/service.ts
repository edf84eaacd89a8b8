/**
 * Wires policy from the ports it is given: the tenant policies (seeded at start), the PII
 * scanner, the decision audit, the Check/Scan gRPC service with health and reflection, and an
 * HTTP server for liveness and readiness probes. Exported so that tests and the one-process
 * launcher start it with their adapters.
 */
import { protoRoot, serviceProtoFiles } from '@keel/contracts';
import type { DocumentStore } from '@keel/doc-store';
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import {
  createStaticApiKeyResolver,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
  startGrpcServer,
} from '@keel/platform';
import { createPolicyChecker } from './checking/policy-checker.js';
import type { PolicyConfig } from './config.js';
import { createDecisionAudit } from './decisions/decision-audit.js';
import { createPiiScanner } from './detection/pii-scanner.js';
import { DRY_RUN_LIMITS, dryRunRoutes } from './inbound/dry-run-routes.js';
import { policyGrpcService } from './inbound/policy-grpc.js';
import { createPolicyRepository } from './policies/policy-repository.js';
import { applySeeds, loadSeeds } from './policies/policy-seeds.js';
import { policyVersionLabel } from './policies/tenant-policy.js';

export interface PolicyDeps {
  bus: EventBus;
  store: DocumentStore;
  logger: Logger;
  /** Epoch milliseconds; tests pin it. */
  now?: () => number;
}

export type { PolicyConfig } from './config.js';
export { loadPolicyConfig } from './config.js';

export async function startPolicyService(deps: PolicyDeps, config: PolicyConfig): Promise<RunningService> {
  const { bus, store, logger } = deps;
  const now = deps.now ?? Date.now;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('event-bus', () => bus.health());
    readiness.register('doc-store', () => store.health());

    await ensureKeelTopics(bus);
    const policies = await createPolicyRepository(store, now);
    const seeded = await applySeeds(policies, await loadSeeds(config.seeds));
    logger.info({ policies: seeded.map(policyVersionLabel) }, 'tenant policies seeded');

    const checker = createPolicyChecker({
      policies,
      scanPii: createPiiScanner({ phoneRegions: config.phoneRegions }),
      audit: await createDecisionAudit(store, new EventPublisher(bus)),
      clock: now,
    });

    const grpcServer = await startGrpcServer({
      port: config.grpc.port,
      host: config.grpc.host,
      services: [policyGrpcService(logger, checker)],
      auth: config.internalAuth,
      logger,
      readiness,
      reflection: { protoRoot, files: serviceProtoFiles },
    });
    shutdown.add('grpc server', () => grpcServer.close());

    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      bodyLimit: DRY_RUN_LIMITS.bodyLimit,
      ...config.http,
      handlers: [dryRunRoutes({ apiKeys: createStaticApiKeyResolver(config.apiKeys), checker })],
    });
    shutdown.add('http server', () => http.close());

    return { urls: { grpc: grpcServer.address, http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
