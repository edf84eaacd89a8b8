/**
 * Wires the gateway from the ports it is given: the answer-question use case behind the
 * Keel-native and OpenAI-compatible HTTP routes (API-key auth) and the gRPC Inference service
 * for internal callers (with health and reflection), the embed-texts use case behind
 * `/v1/embeddings`, and readiness that follows the policy and retrieval services and the event
 * bus. Exported so that tests and the one-process launcher start it with their adapters.
 */
import { protoRoot, serviceProtoFiles } from '@keel/contracts';
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import type { ChatModel } from '@keel/models';
import {
  type CheckResult,
  createStaticApiKeyResolver,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
  startGrpcServer,
} from '@keel/platform';
import type { Embedder } from '@keel/text';
import { createAnswerQuestion } from './answering/answer-question.js';
import { createModelCaller, createModelCallObserver } from './answering/model-call.js';
import type { PolicyGate } from './answering/policy-gate.js';
import type { Retriever } from './answering/retriever.js';
import type { GatewayConfig } from './config.js';
import { createEmbedTexts } from './embeddings/embed-texts.js';
import { createRecordedEmbedTexts } from './embeddings/recorded-embed-texts.js';
import { createGenerateCompletion } from './generation/generate-completion.js';
import { withFailureModes } from './guardrails/fail-safe-policy-gate.js';
import { createWindowMetrics } from './guardrails/window-metrics.js';
import { answersRouter } from './inbound/answers-routes.js';
import { inferenceGrpcService } from './inbound/inference-grpc.js';
import { tenancyHttp } from './inbound/metering/tenancy-http.js';
import { chatCompletionsRouter } from './inbound/openai/chat-completions-routes.js';
import { embeddingsRouter } from './inbound/openai/embeddings-routes.js';
import { modelsRouter } from './inbound/openai/models-routes.js';
import { openAiErrorHandler } from './inbound/openai/openai-errors.js';
import { searchRouter } from './inbound/search-routes.js';
import { createModelCatalog } from './models/model-catalog.js';
import type { ModelRouter } from './routing/model-router.js';
import { type ChunkSearcher, createSearchDocuments } from './search/search-documents.js';
import type { Tenancy } from './tenancy/tenancy.js';

export interface GatewayDeps {
  bus: EventBus;
  policy: PolicyGate;
  retriever: Retriever;
  /** Serves `POST /v1/search` (compose.ts passes the retrieval client); without it the route is not served. */
  search?: ChunkSearcher;
  /** The first is the default model of `/v1/answers`. */
  models: ChatModel[];
  /** Serves `/v1/embeddings`; its `id` is the embedding model's name there and in `/v1/models`. */
  embedder: Embedder;
  /**
   * The routing (routing/): the routing file's model names and the configured providers' models
   * (OpenAI-compatible, Anthropic), routed by name after the fixed `models`, chat and embeddings.
   * Its readiness (`provider:<name>`, `routing-file`) joins the gateway's; its refresh and file
   * watch are started and stopped by whoever composed it. `current()` is the live configuration
   * (its `pricing` included).
   */
  providers?: ModelRouter;
  /**
   * Issued keys, limits, budgets, the usage ledger, prices and the response cache (tenancy/);
   * without it only the static keys work and nothing is metered.
   */
  tenancy?: Tenancy;
  /** Readiness of what the gateway calls, by name (`policy`, `retrieval`): usually grpc.health.v1 checks. */
  dependencyChecks: Record<string, () => Promise<CheckResult>>;
  logger: Logger;
}

export type { GatewayConfig } from './config.js';
export { loadGatewayConfig } from './config.js';
// The gRPC clients of policy and retrieval, for a launcher that hosts those services in-process.
export { createGrpcPolicyGate } from './outbound/grpc-policy-gate.js';
export { createGrpcRetriever } from './outbound/grpc-retriever.js';

export async function startGatewayService(deps: GatewayDeps, config: GatewayConfig): Promise<RunningService> {
  const { bus, logger } = deps;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('event-bus', () => bus.health());
    for (const [name, check] of Object.entries(deps.dependencyChecks)) readiness.register(name, check);
    for (const [name, check] of Object.entries(deps.providers?.checks() ?? {})) readiness.register(name, check);

    await ensureKeelTopics(bus);
    const catalog = createModelCatalog(deps.models, [{ id: deps.embedder.id, ownedBy: 'keel' }], deps.providers);
    // Every completion event is priced, settled against limits and budgets, and written to the ledger.
    const tenancy = tenancyHttp(deps.tenancy, {
      staticKeys: createStaticApiKeyResolver(config.apiKeys),
      events: new EventPublisher(bus),
      catalog,
      logger,
    });
    const events = tenancy.events;
    const observeModelCall = createModelCallObserver();
    // The tenant's failure mode around whichever gate was composed (guardrails/fail-safe-policy-gate.ts).
    const policy = withFailureModes(deps.policy, config.guardrails.failureModes, logger);
    const generateCompletion = createGenerateCompletion({
      policy,
      events,
      logger,
      observeModelCall,
      outputWindow: config.guardrails.outputWindow,
      recordWindow: createWindowMetrics(),
    });
    const answerQuestion = createAnswerQuestion({
      policy,
      retriever: deps.retriever,
      callModel: createModelCaller(observeModelCall),
      events,
      logger,
      observeModelCall,
      outputWindow: config.guardrails.outputWindow,
    });

    const grpcServer = await startGrpcServer({
      port: config.grpc.port,
      host: config.grpc.host,
      services: [inferenceGrpcService({ answerQuestion, catalog, logger })],
      auth: config.internalAuth,
      logger,
      readiness,
      reflection: { protoRoot, files: serviceProtoFiles },
    });
    shutdown.add('grpc server', () => grpcServer.close());

    const apiKeys = tenancy.apiKeys;
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      ...config.http,
      handlers: [
        ...tenancy.routers(),
        answersRouter({ answerQuestion, catalog, apiKeys, meter: tenancy.meter('/v1/answers') }),
        chatCompletionsRouter({
          answerQuestion,
          generateCompletion,
          catalog,
          apiKeys,
          meter: tenancy.meter('/v1/chat/completions'),
        }),
        embeddingsRouter({
          embedTexts: createRecordedEmbedTexts({
            embedTexts: createEmbedTexts(deps.embedder, deps.providers),
            builtInModel: deps.embedder.id,
            events,
            logger,
          }),
          apiKeys,
          meter: tenancy.meter('/v1/embeddings'),
        }),
        modelsRouter({ catalog, apiKeys, modelsCreated: Math.floor(Date.now() / 1000) }),
        ...(deps.search ? [searchRouter({ searchDocuments: createSearchDocuments(deps.search), apiKeys })] : []),
      ],
      // Before the platform's problem+json handler (404 and 405 included): OpenAI clients expect OpenAI's error shape.
      errorHandlers: [openAiErrorHandler(logger, ['/v1/chat', '/v1/embeddings', '/v1/models'])],
    });
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url, grpc: grpcServer.address }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
