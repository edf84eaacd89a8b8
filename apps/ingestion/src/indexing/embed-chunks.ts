/**
 * Embeds chunks in batches and upserts each batch as soon as it is embedded, so memory stays
 * bounded by one batch however long the document is.
 */
import { internalError } from '@keel/platform';
import type { Chunk, Embedder } from '@keel/text';
import type { IndexedChunk, VectorIndex } from '@keel/vector-store';
import { chunkPayload } from './chunk-payload.js';
import { chunkId, tenantScopedKey } from './identifiers.js';
import type { ResolvedRequest } from './ingest-request.js';
import type { ChunkRecord } from './records.js';

export interface EmbedTarget {
  vectors: VectorIndex;
  collection: string;
  embedder: Embedder;
  batchSize: number;
}

export interface VersionChunks {
  request: ResolvedRequest;
  version: string;
  parser: string;
  chunks: Chunk[];
  createdAt: number;
}

/** What is embedded: the heading path gives a chunk the context its own words may lack. */
export function embeddingInput(chunk: Pick<Chunk, 'text' | 'headingPath'>): string {
  return chunk.headingPath.length > 0 ? `${chunk.headingPath.join(' / ')}\n${chunk.text}` : chunk.text;
}

/** Returns the lineage record of every chunk written. */
export async function embedAndUpsert(target: EmbedTarget, input: VersionChunks): Promise<ChunkRecord[]> {
  const { request, version, parser, chunks, createdAt } = input;
  const { embedder } = target;
  const records: ChunkRecord[] = [];
  for (let start = 0; start < chunks.length; start += target.batchSize) {
    const batch = chunks.slice(start, start + target.batchSize);
    const vectors = await embedder.embed(batch.map(embeddingInput));
    if (vectors.length !== batch.length || vectors.some((vector) => vector.length !== embedder.dimensions)) {
      throw internalError(
        `embedder ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts ` +
          `(expected ${embedder.dimensions} dimensions each)`,
      );
    }
    const points: IndexedChunk[] = batch.map((chunk, offset) => {
      const id = chunkId(request.documentId, version, chunk.index);
      records.push({
        id: tenantScopedKey(request.tenantId, id),
        tenantId: request.tenantId,
        documentId: request.documentId,
        documentVersion: version,
        chunkId: id,
        index: chunk.index,
        startOffset: chunk.start,
        endOffset: chunk.end,
        headingPath: chunk.headingPath,
        tokenCount: chunk.tokenCount,
        jobId: request.jobId,
        source: request.source,
        parser,
        embedder: embedder.id,
        createdAt,
      });
      return {
        id,
        vector: vectors[offset] as number[],
        text: chunk.text,
        payload: chunkPayload({
          tenantId: request.tenantId,
          documentId: request.documentId,
          documentVersion: version,
          chunkId: id,
          chunkIndex: chunk.index,
          title: request.title,
          source: request.source,
          startOffset: chunk.start,
          endOffset: chunk.end,
          headingPath: chunk.headingPath,
          aclGroups: request.aclGroups,
          jobId: request.jobId,
          parser,
          embedder: embedder.id,
          metadata: request.metadata,
        }),
      };
    });
    await target.vectors.upsert(target.collection, points);
  }
  return records;
}
