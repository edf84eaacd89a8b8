/**
 * The payload ingestion writes for each chunk, in the layout `@keel/vector-store`'s chunk-layout
 * defines for writer and reader alike.
 */
import {
  chunkMetadataKey,
  chunkMetadataNumberKey,
  metadataNumberOf,
  type PayloadValue,
  type VectorFilter,
} from '@keel/vector-store';

export interface ChunkPayloadInput {
  tenantId: string;
  documentId: string;
  documentVersion: string;
  chunkId: string;
  chunkIndex: number;
  title: string;
  source: string;
  startOffset: number;
  endOffset: number;
  headingPath: string[];
  aclGroups: string[];
  jobId: string;
  parser: string;
  embedder: string;
  metadata: Record<string, string>;
  /** The pages the chunk is on (PDF), ascending: stored as `page` (the first) and `pageEnd` (the last), which retrieval returns with each hit. */
  pages?: number[];
}

export function chunkPayload(input: ChunkPayloadInput): Record<string, PayloadValue> {
  const payload: Record<string, PayloadValue> = {
    tenantId: input.tenantId,
    documentId: input.documentId,
    documentVersion: input.documentVersion,
    chunkId: input.chunkId,
    chunkIndex: input.chunkIndex,
    title: input.title,
    source: input.source,
    startOffset: input.startOffset,
    endOffset: input.endOffset,
    headingPath: input.headingPath,
    aclGroups: input.aclGroups,
    jobId: input.jobId,
    parser: input.parser,
    embedder: input.embedder,
  };
  const [page, pageEnd] = [input.pages?.[0], input.pages?.at(-1)];
  if (page !== undefined && pageEnd !== undefined) {
    payload.page = page;
    payload.pageEnd = pageEnd;
  }
  for (const [key, value] of Object.entries(input.metadata)) {
    payload[chunkMetadataKey(key)] = value;
    const number = metadataNumberOf(value);
    if (number !== undefined) payload[chunkMetadataNumberKey(key)] = number;
  }
  return payload;
}

/** Every chunk of one document of one tenant, or of one version of it. */
export function documentChunksFilter(tenantId: string, documentId: string, version?: string): VectorFilter {
  const must: VectorFilter['must'] = [
    { key: 'tenantId', equals: tenantId },
    { key: 'documentId', equals: documentId },
  ];
  if (version !== undefined) must.push({ key: 'documentVersion', equals: version });
  return { must };
}
