/**
 * Wires policy from the ports it is given: the tenant policies (seeded at start), the PII
 * scanner, the decision audit (its own decisions and, from `keel.policy.decided.v1`, those other
 * services made in process), the Check/Scan gRPC service with health and reflection, and an
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
import { createPolicyEngine } from '@keel/policy-engine';
import { createPolicyChecker } from './checking/policy-checker.js';
import type { PolicyConfig } from './config.js';
import { createDecisionAudit, openDecisions } from './decisions/decision-audit.js';
import { startDecisionAuditConsumer } from './inbound/decision-audit-consumer.js';
import { DRY_RUN_LIMITS, dryRunRoutes } from './inbound/dry-run-routes.js';
import { policyAdminRoutes } from './inbound/policy-admin-routes.js';
import { policyGrpcService } from './inbound/policy-grpc.js';
import { createPolicyAdmin } from './policies/policy-admin.js';
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
    const engine = createPolicyEngine({ phoneRegions: config.phoneRegions });
    const events = new EventPublisher(bus);
    const admin = createPolicyAdmin({ policies, engine, events });
    const seeded = await applySeeds(policies, await loadSeeds(config.seeds), engine);
    // Published at every start, so that a process evaluating in process hears of seeds changed
    // while it ran (consumers ignore versions they already have).
    for (const policy of seeded) await admin.publish(policy);
    logger.info({ policies: seeded.map(policyVersionLabel) }, 'tenant policies seeded');

    // The decisions other services made in process (the gateway) join the audit from the bus.
    const auditConsumer = await startDecisionAuditConsumer(bus, { decisions: await openDecisions(store), logger });
    shutdown.add('decision audit consumer', () => auditConsumer.stop());
    readiness.register('decision-audit-consumer', () => auditConsumer.health());

    const checker = createPolicyChecker({
      policies,
      engine,
      audit: await createDecisionAudit(store, events),
      clock: now,
    });

    const grpcServer = await startGrpcServer({
      port: config.grpc.port,
      host: config.grpc.host,
      services: [policyGrpcService(logger, checker, policies)],
      auth: config.internalAuth,
      logger,
      readiness,
      reflection: { protoRoot, files: serviceProtoFiles },
    });
    shutdown.add('grpc server', () => grpcServer.close());

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      bodyLimit: DRY_RUN_LIMITS.bodyLimit,
      ...config.http,
      handlers: [
        dryRunRoutes({ apiKeys, checker }),
        policyAdminRoutes({ apiKeys, admin, policies, adminGroups: config.adminGroups }),
      ],
    });
    shutdown.add('http server', () => http.close());

    return { urls: { grpc: grpcServer.address, http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
