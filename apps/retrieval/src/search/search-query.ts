/**
 * A validated search: what the caller may ask for and the limits that keep one query cheap.
 * Violations name the request field as the proto spells it, so a gRPC caller can fix the request.
 */
import { validationError } from '@keel/platform';
import { isBlankText } from '@keel/text';
import type { SearchMode } from '@keel/vector-store';

export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 50;
export const MAX_QUERY_LENGTH = 4096;
export const MAX_ACL_GROUPS = 256;
export const MAX_ACL_GROUP_LENGTH = 256;
export const MAX_FILTERS = 16;
export const MAX_FILTER_VALUE_LENGTH = 1024;
export const MAX_TENANT_ID_LENGTH = 512;

/** Metadata keys as ingestion accepts them (they are payload keys `meta.<key>`). */
const FILTER_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface SearchQuery {
  tenantId: string;
  query: string;
  topK: number;
  aclGroups: string[];
  mode: SearchMode;
  filters: Record<string, string>;
}

export interface SearchInput {
  /** The tenant named in the request body. */
  tenantId: string;
  /** The tenant named by the transport (gRPC metadata `x-keel-tenant-id`), if any. */
  transportTenantId?: string;
  query: string;
  /** 0 means "not set". */
  topK: number;
  aclGroups: string[];
  /** Undefined when the caller sent a mode this server does not know. */
  mode: SearchMode | undefined;
  filters: Record<string, string>;
}

export function toSearchQuery(input: SearchInput): SearchQuery {
  const violations: { field: string; message: string }[] = [];
  const tenantId = input.tenantId || input.transportTenantId || '';
  if (!tenantId) {
    violations.push({ field: 'tenant_id', message: 'is required (in the request or the x-keel-tenant-id metadata)' });
  } else if (input.tenantId && input.transportTenantId && input.tenantId !== input.transportTenantId) {
    violations.push({ field: 'tenant_id', message: 'differs from the x-keel-tenant-id metadata' });
  } else if (tenantId.length > MAX_TENANT_ID_LENGTH) {
    violations.push({ field: 'tenant_id', message: `must be at most ${MAX_TENANT_ID_LENGTH} characters` });
  }
  const query = input.query.trim();
  // Only invisible characters (zero-width spaces, bidi controls...) is nothing to search for either.
  if (isBlankText(query)) violations.push({ field: 'query', message: 'must not be empty' });
  else if (query.length > MAX_QUERY_LENGTH) {
    violations.push({ field: 'query', message: `must be at most ${MAX_QUERY_LENGTH} characters` });
  }
  if (!Number.isInteger(input.topK) || input.topK < 0 || input.topK > MAX_TOP_K) {
    violations.push({ field: 'top_k', message: `must be between 1 and ${MAX_TOP_K} (0 means ${DEFAULT_TOP_K})` });
  }
  if (input.mode === undefined) violations.push({ field: 'mode', message: 'is not a known search mode' });
  if (input.aclGroups.length > MAX_ACL_GROUPS) {
    violations.push({ field: 'acl_groups', message: `must have at most ${MAX_ACL_GROUPS} groups` });
  } else {
    input.aclGroups.forEach((group, index) => {
      if (group.length > MAX_ACL_GROUP_LENGTH) {
        violations.push({
          field: `acl_groups[${index}]`,
          message: `must be at most ${MAX_ACL_GROUP_LENGTH} characters`,
        });
      }
    });
  }
  const filters = Object.entries(input.filters);
  if (filters.length > MAX_FILTERS) {
    violations.push({ field: 'filters', message: `must have at most ${MAX_FILTERS} entries` });
  }
  // Past the count, the entries are not looked at one by one: the count is the violation.
  for (const [key, value] of filters.length > MAX_FILTERS ? [] : filters) {
    if (!FILTER_KEY_PATTERN.test(key)) {
      violations.push({
        field: `filters.${key.slice(0, 64)}`,
        message: 'keys must be 1-64 characters of letters, digits, "_" or "-"',
      });
    } else if (value.length > MAX_FILTER_VALUE_LENGTH) {
      violations.push({ field: `filters.${key}`, message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters` });
    }
  }
  if (violations.length > 0) throw validationError(violations);
  return {
    tenantId,
    query,
    topK: input.topK || DEFAULT_TOP_K,
    aclGroups: [...new Set(input.aclGroups.filter((group) => group !== ''))],
    mode: input.mode ?? 'hybrid',
    filters: Object.fromEntries(filters),
  };
}
