/**
 * The one shape both entry points (HTTP and the upstream topic) turn into before the shared
 * pipeline runs, and the limits every request must respect. HTTP rejects violations with a 400
 * before anything is stored; an upstream event that breaks them becomes a rejected job.
 */
import { OPEN_TO_TENANT } from '@keel/vector-store';
import { DOCUMENT_ID_PATTERN, METADATA_KEY_PATTERN } from './identifiers.js';

export const SUPPORTED_CONTENT_TYPES = ['text/plain', 'text/markdown'] as const;
export type SupportedContentType = (typeof SUPPORTED_CONTENT_TYPES)[number];
export const DEFAULT_CONTENT_TYPE: SupportedContentType = 'text/plain';

/** `*` in a chunk's ACL groups means the whole tenant may read it. */

export const REQUEST_LIMITS = {
  titleLength: 512,
  sourceLength: 2048,
  metadataEntries: 32,
  metadataValueLength: 1024,
  aclGroups: 64,
  aclGroupLength: 128,
} as const;

export interface IngestRequest {
  tenantId: string;
  jobId: string;
  documentId: string;
  title: string;
  source: string;
  /** As given: an unsupported type is rejected by the pipeline, not silently coerced. */
  contentType: string;
  text: string;
  metadata: Record<string, string>;
  /** Never empty: `['*']` when the document is open to the whole tenant. */
  aclGroups: string[];
}

export interface Violation {
  field: string;
  message: string;
}

/** Empty or missing groups mean the whole tenant; duplicates are dropped. */
export function normalizeAclGroups(groups: readonly string[] | undefined): string[] {
  const unique = [...new Set((groups ?? []).map((group) => group.trim()).filter((group) => group !== ''))];
  return unique.length === 0 ? [OPEN_TO_TENANT] : unique;
}

/** Checks the fields whose limits protect the stores and indexes (the text is checked by parsing). */
export function findViolations(request: Omit<IngestRequest, 'tenantId' | 'jobId' | 'text'>): Violation[] {
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
  for (const [key, value] of entries) {
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
  if (request.aclGroups.length > REQUEST_LIMITS.aclGroups) {
    violations.push({ field: 'aclGroups', message: `must have at most ${REQUEST_LIMITS.aclGroups} groups` });
  }
  request.aclGroups.forEach((group, index) => {
    if (group.length > REQUEST_LIMITS.aclGroupLength) {
      violations.push({
        field: `aclGroups.${index}`,
        message: `must be at most ${REQUEST_LIMITS.aclGroupLength} characters`,
      });
    }
  });
  return violations;
}
