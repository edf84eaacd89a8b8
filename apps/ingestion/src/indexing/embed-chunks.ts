/**
 * Embeds the chunks of several documents together, in batches across documents, and writes
 * them to the vector index in few large upserts (each upsert costs the embedded index a new
 * data file and index maintenance, whatever its size). Memory stays bounded by what one consumer
 * batch holds: its documents are bounded in number and size.
 */
import { internalError } from '@keel/platform';
import { type Chunk, type ChunkOptions, defaultChunkOptions, type Embedder } from '@keel/text';
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
  /** Recorded in each chunk's lineage. */
  chunking: ChunkOptions;
}

/** Points written per vector-index call. */
export const UPSERT_BATCH = 1_000;

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

/** Returns the lineage records of each document's chunks, in the order of `inputs`. */
export async function embedAndUpsertAll(target: EmbedTarget, inputs: VersionChunks[]): Promise<ChunkRecord[][]> {
  const { embedder } = target;
  const all = inputs.flatMap((input, document) => input.chunks.map((chunk) => ({ document, chunk })));
  const vectors: number[][] = [];
  for (let start = 0; start < all.length; start += target.batchSize) {
    const batch = all.slice(start, start + target.batchSize);
    const embedded = await embedder.embed(batch.map(({ chunk }) => embeddingInput(chunk)));
    if (embedded.length !== batch.length || embedded.some((vector) => vector.length !== embedder.dimensions)) {
      throw internalError(
        `embedder ${embedder.id} returned ${embedded.length} vectors for ${batch.length} texts ` +
          `(expected ${embedder.dimensions} dimensions each)`,
      );
    }
    vectors.push(...embedded);
  }
  const records: ChunkRecord[][] = inputs.map(() => []);
  const points: IndexedChunk[] = all.map(({ document, chunk }, position) => {
    const input = inputs[document] as VersionChunks;
    const { point, record } = pointOf(target, input, chunk, vectors[position] as number[]);
    (records[document] as ChunkRecord[]).push(record);
    return point;
  });
  for (let start = 0; start < points.length; start += UPSERT_BATCH) {
    await target.vectors.upsert(target.collection, points.slice(start, start + UPSERT_BATCH));
  }
  return records;
}

/** One document's chunks (the per-document form of `embedAndUpsertAll`). */
export async function embedAndUpsert(target: EmbedTarget, input: VersionChunks): Promise<ChunkRecord[]> {
  return (await embedAndUpsertAll(target, [input]))[0] as ChunkRecord[];
}

function pointOf(
  target: EmbedTarget,
  input: VersionChunks,
  chunk: Chunk,
  vector: number[],
): { point: IndexedChunk; record: ChunkRecord } {
  const { request, version, parser, createdAt } = input;
  const { embedder } = target;
  const id = chunkId(request.documentId, version, chunk.index);
  const record: ChunkRecord = {
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
    embedderDimensions: embedder.dimensions,
    chunker: {
      maxTokens: target.chunking.maxTokens ?? defaultChunkOptions.maxTokens,
      overlapTokens: target.chunking.overlapTokens ?? defaultChunkOptions.overlapTokens,
    },
    collection: target.collection,
    text: chunk.text,
    createdAt,
  };
  const point: IndexedChunk = {
    id,
    vector,
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
      ...(chunk.pages ? { pages: chunk.pages } : {}),
    }),
  };
  if (chunk.pages) record.pages = chunk.pages;
  return { point, record };
}
