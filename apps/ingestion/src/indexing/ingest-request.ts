/**
 * The one shape both entry points (HTTP and the upstream topic) turn into before the shared
 * pipeline runs, and the limits every request must respect. HTTP rejects violations with a 400
 * before anything is stored; an upstream event that breaks them becomes a rejected job (or, when
 * the ids themselves are unusable, goes to the dead-letter topic: there is no job to record).
 */
import { OPEN_TO_TENANT } from '@keel/vector-store';
import { DOCUMENT_ID_PATTERN, METADATA_KEY_PATTERN } from './identifiers.js';

export const SUPPORTED_CONTENT_TYPES = ['text/plain', 'text/markdown'] as const;
export type SupportedContentType = (typeof SUPPORTED_CONTENT_TYPES)[number];
export const DEFAULT_CONTENT_TYPE: SupportedContentType = 'text/plain';

/**
 * Limits of every field. The text is bounded by `INGEST_MAX_BODY` (the HTTP body; for events its
 * UTF-8 size, see `textViolation`).
 */
export const REQUEST_LIMITS = {
  titleLength: 512,
  sourceLength: 2048,
  metadataEntries: 32,
  metadataValueLength: 1024,
  aclGroups: 64,
  aclGroupLength: 128,
} as const;

/**
 * Where the bytes of a file are, when a request carries a file instead of text: stored by the
 * upload route (`blob`), in the event itself (`bytes`), or at a URI the consumer fetches (`uri`).
 */
export type DocumentContent =
  | { kind: 'blob'; blobId: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'uri'; uri: string };

/** The scheme of `content_uri` that names an uploaded file kept by ingestion (blob-store.ts). */
export const BLOB_URI_SCHEME = 'keel-blob:';

export interface IngestRequest {
  tenantId: string;
  jobId: string;
  documentId: string;
  title: string;
  source: string;
  /** As given: an unsupported type is rejected by the pipeline, not silently coerced. */
  contentType: string;
  /** Empty when the request carries a file (`content`): the parsed file's text replaces it. */
  text: string;
  /** A file to parse (its type detected from the bytes; `contentType` and `fileName` are hints). */
  content?: DocumentContent;
  fileName?: string;
  metadata: Record<string, string>;
  /**
   * The groups the document gets. Never empty: `['*']` opens it to the whole tenant. Undefined
   * keeps the groups the document has when the request is processed (a new document is then open
   * to the whole tenant): HTTP callers who leave `aclGroups` out, and upstream events with empty
   * `acl_groups` (proto3 cannot tell empty from absent).
   */
  aclGroups: string[] | undefined;
  /**
   * The job id was derived from the request's content (an upstream event without a job id):
   * the same request sent again finds the same job. Such a job, once indexed, runs again when a
   * new delivery arrives after the document moved on (it was changed or deleted since), so that
   * reverting a document to earlier content is not mistaken for a redelivery.
   */
  contentAddressed?: boolean;
}

/** A request whose groups are settled (the pipeline resolved "keep" against the document). */
export type ResolvedRequest = IngestRequest & { aclGroups: string[] };

export interface Violation {
  field: string;
  message: string;
}

/**
 * Groups as stored: trimmed, without duplicates, and `['*']` for the whole tenant (when none are
 * given, or when `*` is among them: the tenant-wide marker makes any other group redundant).
 */
export function normalizeAclGroups(groups: readonly string[] | undefined): string[] {
  const unique = [...new Set((groups ?? []).map((group) => group.trim()).filter((group) => group !== ''))];
  return unique.length === 0 || unique.includes(OPEN_TO_TENANT) ? [OPEN_TO_TENANT] : unique;
}

/**
 * The groups an HTTP body asks for: absent keeps the document's groups (undefined), `[]` opens
 * it to the whole tenant.
 */
export function aclGroupsFromHttp(groups: readonly string[] | undefined): string[] | undefined {
  return groups === undefined ? undefined : normalizeAclGroups(groups);
}

/**
 * The groups an upstream event asks for. Proto3 cannot tell an empty list from an absent one,
 * so empty keeps the document's groups (a new document is open to the whole tenant), and
 * `["*"]` explicitly opens a document to the whole tenant.
 */
export function aclGroupsFromEvent(groups: readonly string[]): string[] | undefined {
  const named = groups.map((group) => group.trim()).filter((group) => group !== '');
  return named.length === 0 ? undefined : normalizeAclGroups(named);
}

/** Whether groups as stored open the document to the whole tenant. */
export function isTenantWide(groups: readonly string[]): boolean {
  return groups.length === 0 || groups.includes(OPEN_TO_TENANT);
}

/** A text over the limit, measured in UTF-8 bytes as the HTTP body limit is. */
export function textViolation(text: string, maxTextBytes: number): Violation | undefined {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: most texts need no exact count.
  if (text.length * 3 <= maxTextBytes || Buffer.byteLength(text, 'utf8') <= maxTextBytes) return undefined;
  return { field: 'text', message: `must be at most ${maxTextBytes} bytes of UTF-8` };
}

/** Checks the fields whose limits protect the stores and indexes (the text is checked by parsing). */
export function findViolations(
  request: Pick<IngestRequest, 'documentId' | 'title' | 'source' | 'metadata' | 'aclGroups'>,
): Violation[] {
  const violations: Violation[] = [];
  if (!DOCUMENT_ID_PATTERN.test(request.documentId)) {
    violations.push({
      field: 'documentId',
      message: 'must be 1-128 characters of letters, digits, ".", "_", "~" or "-", starting with a letter or digit',
    });
  }
  if (request.title.length > REQUEST_LIMITS.titleLength) {
    violations.push({ field: 'title', message: `must be at most ${REQUEST_LIMITS.titleLength} characters` });
  }
  if (request.source.length > REQUEST_LIMITS.sourceLength) {
    violations.push({ field: 'source', message: `must be at most ${REQUEST_LIMITS.sourceLength} characters` });
  }
  const entries = Object.entries(request.metadata);
  if (entries.length > REQUEST_LIMITS.metadataEntries) {
    violations.push({ field: 'metadata', message: `must have at most ${REQUEST_LIMITS.metadataEntries} entries` });
  }
  // Past the count, the entries are not looked at one by one: the work stays bounded.
  for (const [key, value] of entries.slice(0, REQUEST_LIMITS.metadataEntries + 1)) {
    if (!METADATA_KEY_PATTERN.test(key)) {
      violations.push({
        field: `metadata.${key}`,
        message: 'keys must be 1-64 characters of letters, digits, "_" or "-"',
      });
    } else if (value.length > REQUEST_LIMITS.metadataValueLength) {
      violations.push({
        field: `metadata.${key}`,
        message: `must be at most ${REQUEST_LIMITS.metadataValueLength} characters`,
      });
    }
  }
  const aclGroups = request.aclGroups ?? [];
  if (aclGroups.length > REQUEST_LIMITS.aclGroups) {
    violations.push({ field: 'aclGroups', message: `must have at most ${REQUEST_LIMITS.aclGroups} groups` });
  }
  aclGroups.slice(0, REQUEST_LIMITS.aclGroups + 1).forEach((group, index) => {
    if (group.length > REQUEST_LIMITS.aclGroupLength) {
      violations.push({
        field: `aclGroups.${index}`,
        message: `must be at most ${REQUEST_LIMITS.aclGroupLength} characters`,
      });
    }
  });
  return violations;
}
