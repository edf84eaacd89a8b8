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
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import type { RetrievalConfig } from './config.js';
import { retrievalGrpcService } from './inbound/retrieval-grpc.js';
import { createChunkSearch } from './search/chunk-search.js';

export interface RetrievalDeps {
  vectors: VectorIndex;
  embedder: Embedder;
  logger: Logger;
}

export type { RetrievalConfig } from './config.js';
export { loadRetrievalConfig } from './config.js';

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

    // Created here too, so that a search before the first ingestion finds an empty collection.
    const collection = chunkCollectionName(embedder.dimensions);
    await callDependency('vector index', () =>
      vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions }),
    );
    const search = createChunkSearch({ vectors, collection, embedder, logger, fusion: config.search.fusion });

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
