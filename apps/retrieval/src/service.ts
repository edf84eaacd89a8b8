/**
 * Wires retrieval from the ports it is given: the search use case behind the gRPC service, gRPC
 * health and reflection, and an HTTP server for liveness and readiness probes.
 */
import { protoRoot, serviceProtoFiles } from '@keel/contracts';
import {
  callDependency,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
  startGrpcServer,
} from '@keel/platform';
import type { Embedder } from '@keel/text';
import type { VectorIndex } from '@keel/vector-store';
import type { RetrievalConfig } from './config.js';
import { retrievalGrpcService } from './inbound/retrieval-grpc.js';
import { RerankerStatus } from './reranking/rerank-hits.js';
import type { Reranker } from './reranking/reranker.js';
import {
  ActiveIndex,
  type EmbedderResolver,
  type IndexGenerationReader,
  searchActiveGeneration,
} from './search/active-index.js';
import { createChunkSearch } from './search/chunk-search.js';
import { DEFAULT_CANDIDATES } from './search/search-query.js';

export interface RetrievalDeps {
  vectors: VectorIndex;
  embedder: Embedder;
  /**
   * The index generation record ingestion keeps (which collection serves, embedded by which
   * model). Absent: the configured embedder's collection serves, as before generations.
   */
  generations?: IndexGenerationReader;
  /** Builds the embedder of the active generation when it is not the configured one (during a model change). */
  resolveEmbedder?: EmbedderResolver;
  /** Absent: searches are never reranked (the default). */
  reranker?: Reranker;
  logger: Logger;
}

export type { RetrievalConfig } from './config.js';
export { loadRetrievalConfig } from './config.js';
export type { Reranker } from './reranking/reranker.js';

/** Ready when the embedder answers with vectors of its declared width (a remote one may be down). */
function embedderCheck(embedder: Embedder): () => Promise<{ ok: boolean; detail: string }> {
  return async () => {
    const [vector] = await embedder.embed(['readiness probe']);
    const ok = vector?.length === embedder.dimensions;
    return {
      ok,
      detail: ok
        ? `${embedder.id} (${embedder.dimensions} dimensions)`
        : `${embedder.id} returned ${vector?.length ?? 'no'} dimensions, expected ${embedder.dimensions}`,
    };
  };
}

export async function startRetrievalService(deps: RetrievalDeps, config: RetrievalConfig): Promise<RunningService> {
  const { vectors, embedder, logger } = deps;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('vector-index', () => vectors.health());
    readiness.register('embedder', embedderCheck(embedder));
    const rerankStatus = deps.reranker ? new RerankerStatus(deps.reranker) : undefined;
    // Informational: a failing reranker degrades ranking, not availability (see rerank-hits.ts).
    if (rerankStatus) readiness.register('reranker', async () => rerankStatus.check());

    const active = new ActiveIndex({
      ...(deps.generations ? { reader: deps.generations } : {}),
      configured: embedder,
      resolve: deps.resolveEmbedder ?? (async (spec) => (spec.id === embedder.id ? embedder : null)),
      refreshMs: config.index.refreshMs,
      logger,
    });
    readiness.register('index', () => active.check());
    // Created here too, so that a search before the first ingestion finds an empty collection.
    const first = await active.current().catch(() => null);
    if (first) {
      await callDependency('vector index', () =>
        vectors.ensureCollection({ name: first.collection, dimensions: first.embedder.dimensions }),
      );
    }
    const search = searchActiveGeneration(active, (collection, generationEmbedder) =>
      createChunkSearch({
        vectors,
        collection,
        embedder: generationEmbedder,
        logger,
        fusion: config.search.fusion,
        ...(deps.reranker && rerankStatus
          ? {
              rerank: {
                reranker: deps.reranker,
                status: rerankStatus,
                candidates: config.rerank?.candidates ?? DEFAULT_CANDIDATES,
              },
            }
          : {}),
      }),
    );

    const grpcServer = await startGrpcServer({
      port: config.grpc.port,
      host: config.grpc.host,
      services: [retrievalGrpcService(logger, search)],
      auth: config.internalAuth,
      logger,
      readiness,
      reflection: { protoRoot, files: serviceProtoFiles },
    });
    shutdown.add('grpc server', () => grpcServer.close());

    const http = await serveHttp({ serviceName: config.service, logger, readiness, ...config.http });
    shutdown.add('http server', () => http.close());

    return {
      urls: { grpc: grpcServer.address, http: http.url },
      stop: () => shutdown.run(),
    };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
