/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseDocumentStore, chooseEmbedder, chooseEventBus } from '@keel/adapters';
import { createExtractiveChatModel } from '@keel/models/embedded';
import { createAnthropicProvider, createOpenAiCompatibleProvider } from '@keel/models/providers';
import { grpcHealthCheck, type Logger } from '@keel/platform';
import type { GatewayConfig } from './config.js';
import { startInProcessPolicy } from './guardrails/in-process-policy.js';
import { createGrpcPolicyGate } from './outbound/grpc-policy-gate.js';
import { createGrpcPolicySnapshots } from './outbound/grpc-policy-snapshots.js';
import { createGrpcRetriever } from './outbound/grpc-retriever.js';
import { createGatewayRouting } from './routing/gateway-routing.js';
import type { ProviderFactory } from './routing/routing-table.js';
import type { GatewayDeps } from './service.js';
import { createTenancy } from './tenancy/tenancy.js';

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
  // Model providers (OPENAI_API_KEY / ANTHROPIC_API_KEY) and the routing file (KEEL_GATEWAY_CONFIG):
  // an invalid file fails the start here, before anything is open; the providers' model lists are
  // read before serving.
  const providers = await createGatewayRouting({
    file: config.routingFile,
    environmentProviders: config.providers.map((provider) => ({
      name: provider.name,
      kind: provider.kind === 'anthropic' ? 'anthropic' : 'openai',
      baseUrl: provider.baseUrl,
      apiKey: provider.apiKey,
      version: provider.version,
    })),
    defaults: config.modelCalls,
    readSecret: config.readSecret ?? (() => undefined),
    createProvider: providerOf,
    modelsRefreshMs: config.modelsRefreshMs,
    logger,
  });
  // Keys, limits, budgets, the usage ledger and the response cache: shared by the replicas through
  // MongoDB (MONGODB_URL), else in <KEEL_DATA_DIR>/inference-gateway.db.
  const store = await chooseDocumentStore({ mongo: config.mongo, dataDir: config.dataDir, service: config.service });
  const tenancy = await createTenancy(store, config.tenancy, logger);
  const bus = shared.bus ?? chooseEventBus({ kafka: config.kafka, service: config.service, logger });
  const identity = { auth: config.internalAuth, callerName: config.service };
  const remotePolicy = createGrpcPolicyGate({ ...config.policy, identity });
  // KEEL_POLICY_EVALUATION: each tenant's compiled policy in process (default; the policy service
  // feeds it and stays the owner), or a gRPC Check per text (remote).
  const policySnapshots = createGrpcPolicySnapshots({ ...config.policy, identity });
  const inProcess =
    config.guardrails.evaluation === 'in-process'
      ? await startInProcessPolicy({
          bus,
          fetchPolicies: () => policySnapshots.fetch(),
          refreshMs: config.guardrails.refreshMs,
          logger,
          remote: remotePolicy,
        })
      : undefined;
  const policy = inProcess?.gate ?? remotePolicy;
  const retriever = createGrpcRetriever({ ...config.retrieval, identity });
  await providers?.start();
  // The routing file's `pricing` section prices every request, and follows each reload.
  tenancy.prices.update(providers?.current().pricing ?? {});
  const stopPricing = providers?.onChange((snapshot) => tenancy.prices.update(snapshot.pricing ?? {}));
  const policyHealth = grpcHealthCheck(config.policy.address, { auth: config.internalAuth });
  const retrievalHealth = grpcHealthCheck(config.retrieval.address, { auth: config.internalAuth });
  return {
    bus,
    policy,
    retriever,
    // The same client serves POST /v1/search.
    search: retriever,
    embedder,
    models: [createExtractiveChatModel()],
    ...(providers ? { providers } : {}),
    dependencyChecks: {
      // In process, the policy service is needed for the policies, not per request: readiness follows the snapshot.
      ...(inProcess ? { 'policy-snapshot': () => inProcess.sync.readiness() } : { policy: policyHealth }),
      retrieval: retrievalHealth,
      'doc-store': () => store.health(),
    },
    tenancy,
    logger,
    async close() {
      providers?.stop();
      stopPricing?.();
      await tenancy.stop();
      await inProcess?.sync.stop();
      remotePolicy.close();
      policySnapshots.close();
      retriever.close();
      policyHealth.close();
      retrievalHealth.close();
      if (!shared.bus) await bus.close();
      await store.close();
    },
  };
}

const providerOf: ProviderFactory = (provider) =>
  provider.kind === 'anthropic'
    ? createAnthropicProvider({
        name: provider.name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey ?? '',
        defaultTimeoutMs: provider.defaultTimeoutMs,
        ...(provider.version ? { version: provider.version } : {}),
      })
    : createOpenAiCompatibleProvider({
        name: provider.name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        defaultTimeoutMs: provider.defaultTimeoutMs,
      });
