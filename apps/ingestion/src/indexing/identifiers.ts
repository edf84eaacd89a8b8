/**
 * Identifiers of jobs, documents, versions and chunks. Everything a redelivered event must find
 * again is derived deterministically from its inputs, so at-least-once delivery never creates a
 * second job, document or version for the same request.
 */
import { createHash, randomUUID } from 'node:crypto';

/** Caller-chosen document ids: safe in URLs, record keys and chunk ids (no `/`, no `:`). */
export const DOCUMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Metadata keys become payload keys `meta.<key>`: no dots, so nested paths stay unambiguous. */
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function digest(parts: readonly string[]): string {
  const hash = createHash('sha256');
  // A separator that cannot occur inside the parts keeps ("ab","c") and ("a","bc") apart.
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

export function newJobId(): string {
  return randomUUID();
}

export function newDocumentId(): string {
  return `doc-${randomUUID()}`;
}

/** Job ids from producers: the same alphabet as document ids (they appear in `/v1/jobs/<id>`). */
export const JOB_ID_PATTERN = DOCUMENT_ID_PATTERN;

/** Tenant ids, as API keys name them (`KEEL_API_KEYS`). */
export const TENANT_ID_PATTERN = /^[\w.-]{1,128}$/;

/** What an upstream event asks for: the fields that decide what gets indexed. */
export interface EventContent {
  text: string;
  title: string;
  source: string;
  contentType: string;
  metadata: Record<string, string>;
  /** As the event carried them (empty = keep the document's current groups). */
  aclGroups: readonly string[];
}

/**
 * A digest of everything an upstream event asks to index, independent of the order of metadata
 * entries and groups: two events with the same digest ask for the same thing.
 */
export function eventContentDigest(content: EventContent): string {
  const metadata = Object.entries(content.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const aclGroups = [...new Set(content.aclGroups)].sort();
  return digest([
    content.text,
    content.title,
    content.source,
    content.contentType,
    JSON.stringify(metadata),
    JSON.stringify(aclGroups),
  ]);
}

/**
 * The document of an upstream event that names none: one per tenant and content, so that the
 * same event sent twice is one document, and two different documents never share an id.
 */
export function documentIdForEvent(tenantId: string, contentDigest: string): string {
  return `doc-${digest(['document', tenantId, contentDigest]).slice(0, 32)}`;
}

/**
 * The job of an upstream event that names none: one per tenant, document, content and
 * idempotency key (empty when the producer sent no Keel headers). A redelivery, or the same event
 * sent again, finds the same job; an update of the document (other content) is a new job, and so
 * is an event whose producer gave it a new idempotency key.
 */
export function jobIdForEvent(
  tenantId: string,
  documentId: string,
  contentDigest: string,
  idempotencyKey: string,
): string {
  return `evt-${digest(['job', tenantId, documentId, contentDigest, idempotencyKey]).slice(0, 32)}`;
}

/**
 * A document version is named by what was indexed, so reprocessing the same request yields the
 * same version (and the same chunk ids: upserts replace instead of duplicating). The tenant is
 * mixed in because all tenants share one vector collection and document ids are chosen by
 * callers: two tenants indexing `handbook` with the same text must not share chunk ids.
 */
export function versionId(tenantId: string, documentId: string, fingerprint: string): string {
  return `v${digest([tenantId, documentId, fingerprint]).slice(0, 20)}`;
}

export function chunkId(documentId: string, version: string, index: number): string {
  return `${documentId}:${version}:${index}`;
}

/** Keys of the stored records: document and job ids are only unique within a tenant. */
export function tenantScopedKey(tenantId: string, id: string): string {
  return `${tenantId}/${id}`;
}

/** A stable fingerprint of everything that goes into a version's chunks and their payloads. */
export function fingerprintOf(parts: {
  contentSha256: string;
  contentType: string;
  title: string;
  source: string;
  metadata: Record<string, string>;
  aclGroups: string[];
  embedderId: string;
}): string {
  const metadata = Object.entries(parts.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const aclGroups = [...new Set(parts.aclGroups)].sort();
  return digest([
    parts.contentSha256,
    parts.contentType,
    parts.title,
    parts.source,
    JSON.stringify(metadata),
    JSON.stringify(aclGroups),
    parts.embedderId,
  ]);
}
