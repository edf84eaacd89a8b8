/**
 * The payload ingestion writes for each chunk, in the layout `@keel/vector-store`'s chunk-layout
 * defines for writer and reader alike.
 */
import { chunkMetadataKey, type PayloadValue, type VectorFilter } from '@keel/vector-store';

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
  for (const [key, value] of Object.entries(input.metadata)) payload[chunkMetadataKey(key)] = value;
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
