/**
 * The document record's version history. A version is recorded as `indexing` before any of its
 * chunks reach the vector index, so that if the process dies half-way, the next version (or a
 * delete) still knows those chunks exist and removes them: no chunk is ever orphaned.
 */
import type { Collection } from '@keel/doc-store';
import { tenantScopedKey } from './identifiers.js';
import type { ResolvedRequest } from './ingest-request.js';
import type { DocumentRecord, VersionRecord } from './records.js';

/** Superseded versions kept as history; their chunks are gone already. */
export const MAX_SUPERSEDED_VERSIONS = 20;

export type NewVersion = Omit<VersionRecord, 'state' | 'createdAt' | 'indexedAt' | 'supersededAt'>;

export class DocumentVersions {
  constructor(
    private readonly collection: Collection<DocumentRecord>,
    private readonly now: () => number = Date.now,
  ) {}

  get(tenantId: string, documentId: string): Promise<DocumentRecord | null> {
    return this.collection.get(tenantScopedKey(tenantId, documentId));
  }

  /** Records `version` as being indexed; returns the versions whose chunks may still be indexed. */
  async begin(request: ResolvedRequest, version: NewVersion): Promise<VersionRecord[]> {
    const now = this.now();
    const existing = await this.get(request.tenantId, request.documentId);
    const record: DocumentRecord = existing ?? {
      id: tenantScopedKey(request.tenantId, request.documentId),
      tenantId: request.tenantId,
      documentId: request.documentId,
      title: request.title,
      source: request.source,
      contentType: request.contentType,
      metadata: request.metadata,
      aclGroups: request.aclGroups,
      chunkCount: 0,
      versions: [],
      createdAt: now,
      updatedAt: now,
    };
    const others = record.versions.filter((entry) => entry.version !== version.version);
    await this.collection.upsert({
      ...record,
      versions: [...others, { ...version, state: 'indexing', createdAt: now }],
      updatedAt: now,
    });
    return others.filter((entry) => entry.state !== 'superseded');
  }

  /**
   * Makes `version` current; every other version is superseded (its chunks are deleted by now).
   * Returns null when the document was deleted while the version was being indexed.
   */
  async commit(request: ResolvedRequest, version: string, chunkCount: number): Promise<DocumentRecord | null> {
    const now = this.now();
    const record = await this.get(request.tenantId, request.documentId);
    if (!record) return null;
    const versions = record.versions.map((entry): VersionRecord => {
      if (entry.version === version) return { ...entry, state: 'current', chunkCount, indexedAt: now };
      if (entry.state === 'superseded') return entry;
      return { ...entry, state: 'superseded', supersededAt: now };
    });
    const superseded = versions.filter((entry) => entry.state === 'superseded');
    const dropped = new Set(superseded.slice(0, Math.max(0, superseded.length - MAX_SUPERSEDED_VERSIONS)));
    const committed: DocumentRecord = {
      ...record,
      title: request.title,
      source: request.source,
      contentType: request.contentType,
      metadata: request.metadata,
      aclGroups: request.aclGroups,
      currentVersion: version,
      chunkCount,
      versions: versions.filter((entry) => !dropped.has(entry)),
      updatedAt: now,
    };
    await this.collection.upsert(committed);
    return committed;
  }

  delete(tenantId: string, documentId: string): Promise<boolean> {
    return this.collection.delete(tenantScopedKey(tenantId, documentId));
  }
}
