/**
 * The layout of Keel's chunk index: the contract between its writer (ingestion) and its reader
 * (retrieval), kept in one place so the two cannot drift apart. One collection per embedding
 * width (vectors of different models never mix), a flat payload with `meta.<key>` for each
 * document metadata entry, and `*` in `aclGroups` for chunks the whole tenant may read.
 */

/** The ACL group of a chunk open to every caller of its tenant. */
export const OPEN_TO_TENANT = '*';

export function chunkCollectionName(dimensions: number): string {
  return `keel_chunks_${dimensions}`;
}

/** The payload key of a document metadata entry. */
export function chunkMetadataKey(key: string): string {
  return `meta.${key}`;
}
