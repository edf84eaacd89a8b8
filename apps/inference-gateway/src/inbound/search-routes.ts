/**
 * `POST /v1/search`: search for applications (problem+json errors). The body chooses the query,
 * mode, filters and ranking options; the tenant and ACL groups are the API key's, and a body that
 * tries to name them is refused, so that no request can reach beyond its key.
 */
import {
  type ApiKeyResolver,
  asyncRoute,
  describeViolations,
  isKeelError,
  parseBody,
  principalOf,
  requireApiKey,
  type Violation,
  validationError,
  z,
} from '@keel/platform';
import { isBlankText } from '@keel/text';
import { Router } from 'express';
import {
  filterKeyPattern,
  maxFilters,
  maxFilterValueLength,
  maxQuestionLength,
  maxTopK,
} from '../answering/answer-limits.js';
import type { MetadataCondition, SearchDocuments, SearchOptions } from '../search/search-documents.js';

export const defaultSearchTopK = 10;
/** MMR and the reranker look at more candidates than they return, up to this many. */
export const maxCandidates = 100;
export const maxInValues = 64;

const conditionShapes =
  'must be a string, or one of {"equals": string}, {"in": [strings]}, {"gt"|"gte"|"lt"|"lte": number}, {"exists": boolean}';
const rangeBounds = ['gt', 'gte', 'lt', 'lte'] as const;

type ConditionBody =
  | { equals: string }
  | { in: string[] }
  | { exists: boolean }
  | { range: { gt?: number; gte?: number; lt?: number; lte?: number } };

type Issue = { path: (string | number)[]; message: string };

const isValue = (value: unknown): value is string => typeof value === 'string';

/** One filter's condition, checked by hand so that each mistake is named once, at its own path. */
function parseCondition(input: Record<string, unknown>, issues: Issue[]): ConditionBody | undefined {
  const keys = Object.keys(input);
  const tooLong = `must be at most ${maxFilterValueLength} characters`;
  if (keys.length === 1 && keys[0] === 'equals') {
    if (!isValue(input.equals)) issues.push({ path: ['equals'], message: 'must be a string' });
    else if (input.equals.length > maxFilterValueLength) issues.push({ path: ['equals'], message: tooLong });
    else return { equals: input.equals };
    return undefined;
  }
  if (keys.length === 1 && keys[0] === 'in') {
    const values = input.in;
    if (!Array.isArray(values) || values.length === 0 || values.length > maxInValues) {
      issues.push({ path: ['in'], message: `must be a list of 1 to ${maxInValues} strings` });
      return undefined;
    }
    const bad = values.findIndex((value) => !isValue(value) || value.length > maxFilterValueLength);
    if (bad >= 0) {
      issues.push({ path: ['in', bad], message: `must be a string of at most ${maxFilterValueLength} characters` });
      return undefined;
    }
    return { in: values as string[] };
  }
  if (keys.length === 1 && keys[0] === 'exists') {
    if (typeof input.exists === 'boolean') return { exists: input.exists };
    issues.push({ path: ['exists'], message: 'must be true or false' });
    return undefined;
  }
  if (keys.length > 0 && keys.every((key) => (rangeBounds as readonly string[]).includes(key))) {
    const range: Record<string, number> = {};
    for (const bound of keys) {
      const value = input[bound];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        issues.push({ path: [bound], message: 'must be a finite number' });
      } else {
        range[bound] = value;
      }
    }
    if ('gt' in range && 'gte' in range) issues.push({ path: [], message: 'takes gt or gte, not both' });
    if ('lt' in range && 'lte' in range) issues.push({ path: [], message: 'takes lt or lte, not both' });
    return issues.length === 0 ? { range } : undefined;
  }
  issues.push({ path: [], message: conditionShapes });
  return undefined;
}

const condition = z.unknown().transform((value, context): ConditionBody => {
  if (typeof value === 'string') {
    if (value.length <= maxFilterValueLength) return { equals: value };
    context.addIssue({ code: 'custom', message: `must be at most ${maxFilterValueLength} characters` });
    return z.NEVER;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    context.addIssue({ code: 'custom', message: conditionShapes });
    return z.NEVER;
  }
  const issues: Issue[] = [];
  const parsed = parseCondition(value as Record<string, unknown>, issues);
  for (const issue of issues) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return parsed ?? z.NEVER;
});

/** Fields a caller might send to pick its scope: refused by name, since the API key decides it. */
const scopeFields = new Set(['tenantId', 'tenant_id', 'tenant', 'aclGroups', 'acl_groups', 'groups']);
const knownFields = new Set(['query', 'topK', 'mode', 'filters', 'mmr', 'rerank']);

/** Every field the body has and search does not take, each named (zod's strict mode names none). */
function unknownFieldViolations(body: unknown): Violation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  return Object.keys(body)
    .filter((key) => !knownFields.has(key))
    .map((key) => ({
      field: key,
      message: scopeFields.has(key)
        ? 'is not accepted: the tenant and ACL groups come from the API key'
        : 'is not a search field (query, topK, mode, filters, mmr, rerank)',
    }));
}

export const searchRequestSchema = z
  .object({
    query: z
      .string()
      .trim()
      .max(maxQuestionLength, `must be at most ${maxQuestionLength} characters`)
      // Zero-width spaces, bidi controls and the like are nothing to search for.
      .refine((query) => !isBlankText(query), 'must not be empty'),
    topK: z.number().int().min(1).max(maxTopK).optional(),
    mode: z.enum(['hybrid', 'dense', 'keyword']).optional(),
    filters: z
      .record(
        z.string().regex(filterKeyPattern, 'keys must be 1-64 characters of letters, digits, "_" or "-"'),
        condition,
      )
      .refine((filters) => Object.keys(filters).length <= maxFilters, `must have at most ${maxFilters} entries`)
      .optional(),
    mmr: z
      .union([
        z.boolean(),
        z.strictObject({
          lambda: z.number().min(0).max(1).optional(),
          candidates: z.number().int().min(1).max(maxCandidates).optional(),
        }),
      ])
      .optional(),
    rerank: z
      .union([z.boolean(), z.strictObject({ candidates: z.number().int().min(1).max(maxCandidates).optional() })])
      .optional(),
  })
  .superRefine((body, context) => {
    const candidates = typeof body.mmr === 'object' ? body.mmr.candidates : undefined;
    if (candidates !== undefined && candidates < (body.topK ?? defaultSearchTopK)) {
      context.addIssue({ code: 'custom', path: ['mmr', 'candidates'], message: 'must be at least topK' });
    }
  });

type SearchBody = z.infer<typeof searchRequestSchema>;

function conditionOf(key: string, value: ConditionBody): MetadataCondition {
  if ('equals' in value) return { key, equals: value.equals };
  if ('in' in value) return { key, anyOf: value.in };
  if ('exists' in value) return { key, exists: value.exists };
  return { key, range: value.range };
}

export function searchOptionsOf(body: SearchBody): SearchOptions {
  const topK = body.topK ?? defaultSearchTopK;
  const options: SearchOptions = {
    query: body.query,
    topK,
    mode: body.mode ?? 'hybrid',
    conditions: Object.entries(body.filters ?? {}).map(([key, value]) => conditionOf(key, value)),
  };
  if (body.mmr === true) options.mmr = {};
  else if (typeof body.mmr === 'object') options.mmr = body.mmr;
  if (body.rerank === true || body.rerank === false) options.rerank = body.rerank;
  else if (typeof body.rerank === 'object') {
    options.rerank = true;
    if (body.rerank.candidates !== undefined) options.rerankCandidates = body.rerank.candidates;
  }
  return options;
}

/** The body's mistakes and unknown fields together, in one 400. */
function parseSearchBody(body: unknown): SearchBody {
  const unknown = unknownFieldViolations(body);
  if (unknown.length === 0) return parseBody(searchRequestSchema, body);
  let violations = unknown;
  try {
    parseBody(searchRequestSchema, body);
  } catch (error) {
    if (!isKeelError(error)) throw error;
    violations = [...error.violations, ...unknown];
  }
  throw validationError(violations, `invalid request body: ${describeViolations(violations)}`);
}

export function searchRouter(deps: { searchDocuments: SearchDocuments; apiKeys: ApiKeyResolver }): Router {
  const router = Router();
  router.post(
    '/v1/search',
    requireApiKey(deps.apiKeys),
    asyncRoute(async (req, res) => {
      const body = parseSearchBody(req.body);
      const principal = principalOf(res);
      const result = await deps.searchDocuments(
        { tenantId: principal.tenantId, aclGroups: principal.aclGroups },
        searchOptionsOf(body),
      );
      res.json(result);
    }),
  );
  return router;
}
