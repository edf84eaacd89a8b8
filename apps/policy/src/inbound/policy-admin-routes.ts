/**
 * Policy as code over HTTP, for the caller's tenant (the API key's):
 *  - `PUT /v1/policies`: a new policy, as YAML (`application/yaml`, `application/x-yaml`,
 *    `text/yaml`) or JSON (either format). Invalid → 400 problem+json listing each problem with
 *    its path, and from YAML its line and column; the previous version keeps serving.
 *  - `GET /v1/policies`: the current policy (the YAML as uploaded with `Accept: application/yaml`).
 *  - `GET /v1/policies/versions`: every version, newest first, paged; `/versions/:version` one.
 * Only keys in one of `POLICY_ADMIN_GROUPS` may PUT when that is set.
 */
import { InvalidQueryError } from '@keel/doc-store';
import {
  type ApiKeyResolver,
  asyncRoute,
  forbidden,
  GrpcCode,
  KeelError,
  notFound,
  principalOf,
  requireApiKey,
  validationError,
} from '@keel/platform';
import {
  describePolicyIssues,
  POLICY_SOURCE_LIMIT,
  type PolicyIssue,
  parsePolicyYaml,
  stringifyPolicyYaml,
  validatePolicyDocument,
} from '@keel/policy-engine';
import express from 'express';
import type { PolicyAdmin } from '../policies/policy-admin.js';
import type { PolicyRepository } from '../policies/policy-repository.js';
import { documentOf, formatOf, policyVersionLabel, type TenantPolicy } from '../policies/tenant-policy.js';

const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

export interface PolicyAdminRouteDeps {
  apiKeys: ApiKeyResolver;
  admin: PolicyAdmin;
  policies: PolicyRepository;
  /** When non-empty, only keys in one of these groups may change the policy. */
  adminGroups: readonly string[];
}

export function policyAdminRoutes(deps: PolicyAdminRouteDeps): express.Router {
  const router = express.Router();
  router.use('/v1/policies', requireApiKey(deps.apiKeys));

  router.put(
    '/v1/policies',
    // Bytes, not characters: a YAML source of POLICY_SOURCE_LIMIT characters fits in four times as many.
    express.text({ type: yamlTypes, limit: POLICY_SOURCE_LIMIT * 4 }),
    asyncRoute(async (req, res) => {
      const principal = principalOf(res);
      if (deps.adminGroups.length > 0 && !principal.aclGroups.some((group) => deps.adminGroups.includes(group))) {
        throw forbidden(
          `changing the policy needs a key in one of the groups ${deps.adminGroups.join(', ')}`,
          'POLICY.ADMIN_REQUIRED',
        );
      }
      const { document, source } = documentOfRequest(req);
      const outcome = await deps.admin.upload(principal.tenantId, document, source);
      if (!outcome.ok) throw invalidPolicy(outcome.issues);
      res.status(outcome.changed ? 201 : 200).json({ ...summaryOf(outcome.policy), changed: outcome.changed });
    }),
  );

  router.get(
    '/v1/policies',
    asyncRoute(async (req, res) => {
      const policy = await deps.policies.current(principalOf(res).tenantId);
      sendPolicy(req, res, policy);
    }),
  );

  router.get(
    '/v1/policies/versions',
    asyncRoute(async (req, res) => {
      const limit = pageLimitOf(req.query.limit);
      const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
      const page = await deps.policies
        .versions(principalOf(res).tenantId, { limit, ...(cursor ? { cursor } : {}) })
        .catch((error: unknown) => {
          if (error instanceof InvalidQueryError) {
            throw validationError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
          }
          throw error;
        });
      res.json({
        items: page.policies.map(summaryOf),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      });
    }),
  );

  router.get(
    '/v1/policies/versions/:version',
    asyncRoute(async (req, res) => {
      const version = Number(req.params.version);
      if (!Number.isSafeInteger(version) || version < 1) {
        throw validationError([{ field: 'version', message: 'must be a version number (1, 2, ...)' }]);
      }
      const { tenantId } = principalOf(res);
      const found = await deps.policies.version(tenantId, version);
      if (!found) throw notFound(`tenant ${tenantId} has no policy version ${version}`);
      sendPolicy(req, res, found);
    }),
  );
  return router;

  function documentOfRequest(req: express.Request) {
    if (typeof req.body === 'string' && req.is(yamlTypes)) {
      const parsed = parsePolicyYaml(req.body);
      if (!parsed.ok) throw invalidPolicy(parsed.issues);
      return { document: parsed.document, source: req.body };
    }
    if (req.is(['application/json', 'application/*+json']) && req.body !== undefined) {
      const validated = validatePolicyDocument(req.body);
      if (!validated.ok) throw invalidPolicy(validated.issues);
      return { document: validated.document, source: undefined };
    }
    throw new KeelError('send the policy as YAML (Content-Type: application/yaml) or JSON (application/json)', {
      code: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
      httpStatus: 415,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  }
}

/** 400 with every problem: `errors[i]` has the path as `field`, the reason, and the line and column. */
function invalidPolicy(issues: readonly PolicyIssue[]): KeelError {
  const violations = issues.map((issue) => ({
    field: issue.path || '(document)',
    message: issue.message,
    ...(issue.line !== undefined ? { line: issue.line, column: issue.column } : {}),
  }));
  return validationError(
    violations,
    `invalid policy: ${describePolicyIssues(issues).replace(/\n/g, '; ')}`,
    'POLICY.INVALID',
  );
}

function summaryOf(policy: TenantPolicy) {
  const document = documentOf(policy as unknown as Record<string, unknown>);
  return {
    tenantId: policy.id,
    version: policy.version,
    policyVersion: policyVersionLabel(policy),
    format: formatOf(document),
    updatedAt: new Date(policy.updatedAt).toISOString(),
  };
}

function sendPolicy(req: express.Request, res: express.Response, policy: TenantPolicy): void {
  const document = documentOf(policy as unknown as Record<string, unknown>);
  res.setHeader('Vary', 'Accept');
  if (req.accepts(['application/json', ...yamlTypes]) !== 'application/json' && req.get('accept')?.includes('yaml')) {
    res.type('application/yaml').send(policy.source ?? stringifyPolicyYaml(document));
    return;
  }
  res.json({ ...summaryOf(policy), document, ...(policy.source !== undefined ? { source: policy.source } : {}) });
}

function pageLimitOf(raw: unknown): number {
  if (raw === undefined) return 20;
  const limit = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(limit) || limit < 1 || limit > 100) {
    throw validationError([{ field: 'limit', message: 'must be an integer from 1 to 100' }]);
  }
  return limit;
}
