/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseEmbedder, chooseEventBus } from '@keel/adapters';
import { createExtractiveChatModel } from '@keel/models/embedded';
import { grpcHealthCheck, type Logger } from '@keel/platform';
import type { GatewayConfig } from './config.js';
import { createGrpcPolicyGate } from './outbound/grpc-policy-gate.js';
import { createGrpcRetriever } from './outbound/grpc-retriever.js';
import type { GatewayDeps } from './service.js';

export interface ComposedGateway extends GatewayDeps {
  /** Closes the adapters composed here (the service does not own them). */
  close(): Promise<void>;
}

export type SharedInfrastructure = Partial<Pick<GatewayDeps, 'bus' | 'embedder'>>;

export async function composeGateway(
  config: GatewayConfig,
  logger: Logger,
  shared: SharedInfrastructure = {},
): Promise<ComposedGateway> {
  // First: loading the word vectors can fail (a missing package), and nothing is open yet to close.
  const embedder = shared.embedder ?? (await chooseEmbedder({ embeddings: config.embeddings }));
  const bus = shared.bus ?? chooseEventBus({ kafka: config.kafka, service: config.service, logger });
  const identity = { auth: config.internalAuth, callerName: config.service };
  const policy = createGrpcPolicyGate({ ...config.policy, identity });
  const retriever = createGrpcRetriever({ ...config.retrieval, identity });
  const policyHealth = grpcHealthCheck(config.policy.address, { auth: config.internalAuth });
  const retrievalHealth = grpcHealthCheck(config.retrieval.address, { auth: config.internalAuth });
  return {
    bus,
    policy,
    retriever,
    embedder,
    models: [createExtractiveChatModel()],
    dependencyChecks: { policy: policyHealth, retrieval: retrievalHealth },
    logger,
    async close() {
      policy.close();
      retriever.close();
      policyHealth.close();
      retrievalHealth.close();
      if (!shared.bus) await bus.close();
    },
  };
}
