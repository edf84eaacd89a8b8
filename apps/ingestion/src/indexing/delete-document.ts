/**
 * Deleting a document removes it from every index ingestion writes: its chunks in the vector
 * index (every version, including one half-indexed by a crashed attempt), its chunk records and
 * its document record. Jobs stay: they hold no content and are the audit trail of requests.
 * Idempotent: deleting what is not there succeeds.
 */
import type { VectorIndex } from '@keel/vector-store';
import { documentChunksFilter } from './chunk-payload.js';
import type { DocumentVersions } from './document-versions.js';
import type { IngestionRecords } from './records.js';

export interface DeleteDocumentDeps {
  vectors: VectorIndex;
  collection: string;
  /** Every other collection that may hold chunks (during a model change). */
  alsoIn?: () => readonly string[];
  records: IngestionRecords;
  versions: DocumentVersions;
}

export async function deleteDocument(deps: DeleteDocumentDeps, tenantId: string, documentId: string): Promise<void> {
  // Chunks first: if a later step fails, a retry still finds the records that say what to remove.
  for (const collection of new Set([deps.collection, ...(deps.alsoIn?.() ?? [])])) {
    await deps.vectors.deleteWhere(collection, documentChunksFilter(tenantId, documentId));
  }
  await deps.records.chunks.deleteMany({ tenantId, documentId });
  await deps.versions.delete(tenantId, documentId);
}
