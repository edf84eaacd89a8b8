/**
 * A validated search: what the caller may ask for and the limits that keep one query cheap.
 * Violations name the request field as the proto spells it, so a gRPC caller can fix the request.
 */
import { validationError } from '@keel/platform';
import { isBlankText } from '@keel/text';
import type { SearchMode } from '@keel/vector-store';
import {
  conditionViolations,
  METADATA_KEY_PATTERN,
  type MetadataCondition,
  type NumberRange,
} from './metadata-conditions.js';

export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 50;
export const MAX_QUERY_LENGTH = 4096;
export const MAX_ACL_GROUPS = 256;
export const MAX_ACL_GROUP_LENGTH = 256;
export const MAX_FILTERS = 16;
export const MAX_FILTER_VALUE_LENGTH = 1024;
export const MAX_TENANT_ID_LENGTH = 512;
/** MMR and reranking look at more candidates than they return, within these bounds. */
export const DEFAULT_MMR_LAMBDA = 0.5;
export const DEFAULT_CANDIDATES = 20;
export const MAX_CANDIDATES = 100;

const FILTER_KEY_PATTERN = METADATA_KEY_PATTERN;

export interface MmrSettings {
  /** 1 is relevance alone, 0 diversity alone. */
  lambda: number;
  /** How many of the best hits MMR chooses the top_k among (at least top_k). */
  candidates: number;
}

export interface SearchQuery {
  tenantId: string;
  query: string;
  topK: number;
  aclGroups: string[];
  mode: SearchMode;
  filters: Record<string, string>;
  /** More metadata conditions, all of which must hold (with `filters`). */
  conditions: MetadataCondition[];
  mmr?: MmrSettings;
  /** Undefined: follow the service's configuration. */
  rerank?: boolean;
  /** 0: the service default. */
  rerankCandidates: number;
}

/** A condition as a transport hands it over: exactly one of the four kinds must be set. */
export interface ConditionInput {
  key: string;
  equals?: string;
  anyOf?: string[];
  range?: NumberRange;
  exists?: boolean;
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
  conditions?: ConditionInput[];
  /** Present when MMR is asked for; lambda undefined and candidates 0 mean the defaults. */
  mmr?: { lambda?: number; candidates: number };
  rerank?: boolean;
  rerankCandidates?: number;
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
  const conditionInputs = input.conditions ?? [];
  const conditions: MetadataCondition[] = [];
  const topK = input.topK || DEFAULT_TOP_K;
  if (filters.length <= MAX_FILTERS && filters.length + conditionInputs.length > MAX_FILTERS) {
    violations.push({
      field: 'metadata_filter.must',
      message: `filters and metadata conditions may have at most ${MAX_FILTERS} entries together`,
    });
  } else if (filters.length <= MAX_FILTERS) {
    conditionInputs.forEach((condition, index) => {
      const parsed = toCondition(condition, `metadata_filter.must[${index}]`, violations);
      if (parsed) conditions.push(parsed);
    });
  }
  const mmr = input.mmr ? toMmr(input.mmr, topK, violations) : undefined;
  const rerankCandidates = input.rerankCandidates ?? 0;
  if (!Number.isInteger(rerankCandidates) || rerankCandidates < 0 || rerankCandidates > MAX_CANDIDATES) {
    violations.push({
      field: 'rerank_candidates',
      message: `must be between 0 and ${MAX_CANDIDATES} (0 means the default)`,
    });
  }
  if (violations.length > 0) throw validationError(violations);
  return {
    tenantId,
    query,
    topK,
    aclGroups: [...new Set(input.aclGroups.filter((group) => group !== ''))],
    mode: input.mode ?? 'hybrid',
    filters: Object.fromEntries(filters),
    conditions,
    ...(mmr ? { mmr } : {}),
    ...(input.rerank === undefined ? {} : { rerank: input.rerank }),
    rerankCandidates,
  };
}

function toCondition(
  input: ConditionInput,
  field: string,
  violations: { field: string; message: string }[],
): MetadataCondition | undefined {
  if (!METADATA_KEY_PATTERN.test(input.key)) {
    violations.push({ field: `${field}.key`, message: 'must be 1-64 characters of letters, digits, "_" or "-"' });
    return undefined;
  }
  const kinds = (['equals', 'anyOf', 'range', 'exists'] as const).filter((kind) => input[kind] !== undefined);
  if (kinds.length !== 1) {
    violations.push({ field, message: 'needs exactly one of equals, any_of, range, exists' });
    return undefined;
  }
  const { key } = input;
  const condition: MetadataCondition =
    input.equals !== undefined
      ? { key, equals: input.equals }
      : input.anyOf !== undefined
        ? { key, anyOf: [...new Set(input.anyOf)] }
        : input.range !== undefined
          ? { key, range: input.range }
          : { key, exists: input.exists as boolean };
  const found = conditionViolations(condition);
  for (const violation of found) violations.push({ field: `${field}.${violation.field}`, message: violation.message });
  return found.length === 0 ? condition : undefined;
}

function toMmr(
  input: { lambda?: number; candidates: number },
  topK: number,
  violations: { field: string; message: string }[],
): MmrSettings | undefined {
  const lambda = input.lambda ?? DEFAULT_MMR_LAMBDA;
  let valid = true;
  if (!Number.isFinite(lambda) || lambda < 0 || lambda > 1) {
    violations.push({ field: 'mmr.lambda', message: 'must be between 0 and 1' });
    valid = false;
  }
  if (!Number.isInteger(input.candidates) || input.candidates < 0 || input.candidates > MAX_CANDIDATES) {
    violations.push({
      field: 'mmr.candidates',
      message: `must be between 0 and ${MAX_CANDIDATES} (0 means the default)`,
    });
    valid = false;
  } else if (input.candidates > 0 && input.candidates < topK) {
    violations.push({ field: 'mmr.candidates', message: `must be at least top_k (${topK})` });
    valid = false;
  }
  return valid ? { lambda, candidates: input.candidates || Math.max(topK, DEFAULT_CANDIDATES) } : undefined;
}
