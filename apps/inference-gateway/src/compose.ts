/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseEmbedder, chooseEventBus } from '@keel/adapters';
import { createExtractiveChatModel } from '@keel/models/embedded';
import { createAnthropicProvider, createOpenAiCompatibleProvider } from '@keel/models/providers';
import { grpcHealthCheck, type Logger } from '@keel/platform';
import type { GatewayConfig, ProviderConfig } from './config.js';
import { createProviderRegistry } from './models/provider-registry.js';
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
  // Model providers from OPENAI_API_KEY / ANTHROPIC_API_KEY: their lists are read before serving.
  const providers =
    config.providers.length > 0
      ? createProviderRegistry({
          providers: config.providers.map((provider) => providerOf(provider, config.modelCalls.attemptTimeoutMs)),
          retry: config.modelCalls,
          refreshMs: config.modelsRefreshMs,
          // A provider that does not answer its model list must not hold the start for long.
          listTimeoutMs: Math.min(config.modelCalls.attemptTimeoutMs, 10_000),
          logger,
        })
      : undefined;
  await providers?.start();
  const policyHealth = grpcHealthCheck(config.policy.address, { auth: config.internalAuth });
  const retrievalHealth = grpcHealthCheck(config.retrieval.address, { auth: config.internalAuth });
  return {
    bus,
    policy,
    retriever,
    embedder,
    models: [createExtractiveChatModel()],
    ...(providers ? { providers } : {}),
    dependencyChecks: { policy: policyHealth, retrieval: retrievalHealth },
    logger,
    async close() {
      providers?.stop();
      policy.close();
      retriever.close();
      policyHealth.close();
      retrievalHealth.close();
      if (!shared.bus) await bus.close();
    },
  };
}

function providerOf(provider: ProviderConfig, timeoutMs: number) {
  return provider.kind === 'anthropic'
    ? createAnthropicProvider({
        name: provider.name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        defaultTimeoutMs: timeoutMs,
        ...(provider.version ? { version: provider.version } : {}),
      })
    : createOpenAiCompatibleProvider({
        name: provider.name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        defaultTimeoutMs: timeoutMs,
      });
}
