/**
 * All six services in one process on embedded adapters: one in-process event bus, one vector
 * index and one embedder shared by the services that need them (each service keeps its own SQLite
 * file). Services still talk to each other over real gRPC and HTTP on loopback, exactly as they do
 * when deployed separately; only the infrastructure is embedded.
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadEvaluationConfig, startEvaluationService } from '@keel/evaluation';
import { composeEvaluation } from '@keel/evaluation/compose';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { loadHumanReviewConfig, startHumanReviewService } from '@keel/human-review';
import { composeHumanReview } from '@keel/human-review/compose';
import { loadGatewayConfig, startGatewayService } from '@keel/inference-gateway';
import { composeGateway } from '@keel/inference-gateway/compose';
import { loadIngestionConfig, startIngestionService } from '@keel/ingestion';
import { composeIngestion } from '@keel/ingestion/compose';
import { createLogger, type Logger, type RunningService, ShutdownSequence } from '@keel/platform';
import { loadPolicyConfig, startPolicyService } from '@keel/policy';
import { composePolicy } from '@keel/policy/compose';
import { loadRetrievalConfig, startRetrievalService } from '@keel/retrieval';
import { composeRetrieval } from '@keel/retrieval/compose';
import type { Embedder } from '@keel/text';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import type { VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';

export interface LocalPlatformPorts {
  gateway: number;
  gatewayGrpc: number;
  ingestion: number;
  humanReview: number;
  evaluation: number;
  retrievalGrpc: number;
  retrievalHttp: number;
  policyGrpc: number;
  policyHttp: number;
}

/** The documented defaults. */
export const defaultPorts: LocalPlatformPorts = {
  gateway: 8080,
  gatewayGrpc: 50053,
  ingestion: 8081,
  humanReview: 8082,
  evaluation: 8083,
  retrievalGrpc: 50051,
  retrievalHttp: 8084,
  policyGrpc: 50052,
  policyHttp: 8085,
};

/** Every port 0: each service listens where the system has room (tests, benchmarks, several platforms at once). */
export const freePorts = Object.fromEntries(
  Object.keys(defaultPorts).map((name) => [name, 0]),
) as unknown as LocalPlatformPorts;

export interface LocalPlatformOptions {
  dataDir: string;
  ports: LocalPlatformPorts;
  /** Variables every service sees (API keys, thresholds...). Infrastructure URLs are ignored. */
  env: NodeJS.ProcessEnv;
  /** The launcher's own logger (start and shutdown of the whole). */
  logger: Logger;
  /**
   * Each service's logger, so that every line names the service that wrote it; by default a
   * logger per service at the launcher logger's level.
   */
  serviceLogger?: (service: string) => Logger;
  /** Loopback by default: the one-process platform is for one machine. */
  host?: string;
}

export interface LocalPlatform {
  urls: Record<string, string>;
  /** The shared in-process bus, for tests that watch the topics. */
  bus: EventBus;
  stop(): Promise<void>;
}

/** Infrastructure variables the services must not see: `npm start` is embedded by definition. */
const infrastructureVariables = ['KAFKA_BROKERS', 'MONGODB_URL', 'QDRANT_URL', 'EMBEDDINGS_BASE_URL'];

function serviceEnv(
  options: LocalPlatformOptions,
  internalToken: string,
  own: Record<string, string | number>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    KEEL_DATA_DIR: options.dataDir,
    HOST: options.host ?? '127.0.0.1',
    KEEL_INTERNAL_TOKEN: internalToken,
  };
  for (const name of infrastructureVariables) delete env[name];
  for (const [name, value] of Object.entries(own)) env[name] = String(value);
  return env;
}

function addressOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '');
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { logger, ports } = options;
  const loggerOf = options.serviceLogger ?? ((service: string) => createLogger(service, { level: logger.level }));
  // The services of one process share a secret for their internal gRPC calls, new at every start
  // unless one is configured.
  const internalToken = options.env.KEEL_INTERNAL_TOKEN || randomBytes(32).toString('hex');
  const shutdown = new ShutdownSequence({ logger });
  const bus = createEmbeddedEventBus({ logger: loggerOf('event-bus'), path: join(options.dataDir, 'event-bus.db') });
  shutdown.add('event bus', () => bus.close());
  let vectors: VectorIndex;
  let embedder: Embedder;
  try {
    vectors = await createEmbeddedVectorIndex({ directory: join(options.dataDir, 'vectors') });
    shutdown.add('vector index', () => vectors.close());
    embedder = await loadWordVectorEmbedder();
  } catch (error) {
    await shutdown.run();
    throw error;
  }

  const started = async <D extends { close(): Promise<void> }>(
    name: string,
    composed: D,
    start: (deps: D) => Promise<RunningService>,
  ): Promise<RunningService> => {
    // Registered before starting so a failed start still releases what compose opened.
    shutdown.add(`${name} adapters`, () => composed.close());
    const service = await start(composed);
    shutdown.add(name, () => service.stop());
    return service;
  };

  try {
    const policyConfig = loadPolicyConfig(
      serviceEnv(options, internalToken, { GRPC_PORT: ports.policyGrpc, HTTP_PORT: ports.policyHttp }),
    );
    const policy = await started('policy', await composePolicy(policyConfig, loggerOf('policy'), { bus }), (deps) =>
      startPolicyService(deps, policyConfig),
    );

    const retrievalConfig = loadRetrievalConfig(
      serviceEnv(options, internalToken, { GRPC_PORT: ports.retrievalGrpc, HTTP_PORT: ports.retrievalHttp }),
    );
    const retrieval = await started(
      'retrieval',
      await composeRetrieval(retrievalConfig, loggerOf('retrieval'), { vectors, embedder }),
      (deps) => startRetrievalService(deps, retrievalConfig),
    );

    const policyAddress = addressOf(requiredUrl(policy, 'grpc'));
    const retrievalAddress = addressOf(requiredUrl(retrieval, 'grpc'));

    const ingestionConfig = loadIngestionConfig(
      serviceEnv(options, internalToken, { HTTP_PORT: ports.ingestion, POLICY_ADDRESS: policyAddress }),
    );
    const ingestion = await started(
      'ingestion',
      await composeIngestion(ingestionConfig, loggerOf('ingestion'), { bus, vectors, embedder }),
      (deps) => startIngestionService(deps, ingestionConfig),
    );

    const gatewayConfig = loadGatewayConfig(
      serviceEnv(options, internalToken, {
        HTTP_PORT: ports.gateway,
        GRPC_PORT: ports.gatewayGrpc,
        POLICY_ADDRESS: policyAddress,
        RETRIEVAL_ADDRESS: retrievalAddress,
      }),
    );
    const gateway = await started(
      'inference-gateway',
      await composeGateway(gatewayConfig, loggerOf('inference-gateway'), { bus, embedder }),
      (deps) => startGatewayService(deps, gatewayConfig),
    );

    const evaluationConfig = loadEvaluationConfig(serviceEnv(options, internalToken, { HTTP_PORT: ports.evaluation }));
    const evaluation = await started(
      'evaluation',
      await composeEvaluation(evaluationConfig, loggerOf('evaluation'), { bus }),
      (deps) => startEvaluationService(deps, evaluationConfig),
    );

    const reviewConfig = loadHumanReviewConfig(
      serviceEnv(options, internalToken, {
        HTTP_PORT: ports.humanReview,
        // The console's lineage link: evaluation, asked with the demo tenant's key.
        EVALUATION_URL: requiredUrl(evaluation, 'http'),
        EVALUATION_API_KEYS: evaluationKeysOf(options.env),
      }),
    );
    const humanReview = await started(
      'human-review',
      await composeHumanReview(reviewConfig, loggerOf('human-review'), { bus }),
      (deps) => startHumanReviewService(deps, reviewConfig),
    );

    return {
      urls: {
        gateway: requiredUrl(gateway, 'http'),
        gatewayGrpc: addressOf(requiredUrl(gateway, 'grpc')),
        ingestion: requiredUrl(ingestion, 'http'),
        humanReview: requiredUrl(humanReview, 'http'),
        evaluation: requiredUrl(evaluation, 'http'),
        retrievalGrpc: retrievalAddress,
        retrievalHttp: requiredUrl(retrieval, 'http'),
        policyGrpc: policyAddress,
        policyHttp: requiredUrl(policy, 'http'),
      },
      bus,
      stop: () => shutdown.run(),
    };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}

/** Human-review's keys for evaluation: those configured, plus the demo key for tenant `demo`. */
function evaluationKeysOf(env: NodeJS.ProcessEnv): string {
  const configured = (env.EVALUATION_API_KEYS ?? '').trim();
  const demoKey = env.KEEL_DEMO_API_KEY;
  const hasDemo = configured.split(',').some((entry) => entry.trim().startsWith('demo='));
  return [configured, demoKey && !hasDemo ? `demo=${demoKey}` : ''].filter(Boolean).join(',');
}

function requiredUrl(service: RunningService, name: string): string {
  const url = service.urls[name];
  if (!url) throw new Error(`a service did not report its ${name} URL (has: ${Object.keys(service.urls).join(', ')})`);
  return url;
}
