/**
 * `POST /v1/policies/check`: a dry run of the caller's tenant policy over HTTP. It answers what
 * the gRPC Check would decide (decision, redacted text and contexts, every finding with its type,
 * rule and offsets, the policy version, the rules that fired and the action each took) and
 * nothing else happens: no decision is stored or published and no review is opened, which the
 * response says (`dryRun: true`, `audited: false`). The tenant is the API key's.
 */
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey, z } from '@keel/platform';
import type { CheckedFinding } from '@keel/policy-engine';
import express from 'express';
import type { PolicyChecker } from '../checking/policy-checker.js';
import { REQUEST_LIMITS } from './request-limits.js';

/** Tighter than gRPC's Check: a person or a CI job tries a policy, with a few passages at most. */
export const DRY_RUN_LIMITS = {
  textLength: REQUEST_LIMITS.checkTextLength,
  contexts: 50,
  contextLength: 32_768,
  /** JSON of the largest allowed body, with room for escapes. */
  bodyLimit: '4mb',
} as const;

const dryRunBody = z
  .object({
    stage: z.enum(['input', 'output', 'document']),
    text: z.string().max(DRY_RUN_LIMITS.textLength, `at most ${DRY_RUN_LIMITS.textLength} characters`),
    contexts: z
      .array(z.string().max(DRY_RUN_LIMITS.contextLength, `at most ${DRY_RUN_LIMITS.contextLength} characters`))
      .max(DRY_RUN_LIMITS.contexts, `at most ${DRY_RUN_LIMITS.contexts} contexts`)
      .default([]),
  })
  .strict();

export function dryRunRoutes(deps: { apiKeys: ApiKeyResolver; checker: PolicyChecker }): express.Router {
  const router = express.Router();
  router.use('/v1', requireApiKey(deps.apiKeys));
  router.post(
    '/v1/policies/check',
    asyncRoute(async (req, res) => {
      const body = parseBody(dryRunBody, req.body);
      const { tenantId } = principalOf(res);
      const outcome = await deps.checker.dryRun({
        tenantId,
        stage: body.stage,
        text: body.text,
        contexts: body.contexts,
      });
      const findingOf = (finding: CheckedFinding) => ({
        type: finding.type,
        start: finding.start,
        end: finding.end,
        ruleId: finding.ruleId,
        confidence: finding.confidence,
        action: finding.action,
        ...(finding.policyRule !== undefined ? { policyRule: finding.policyRule } : {}),
      });
      res.json({
        dryRun: true,
        audited: false,
        note: 'a dry run: nothing was stored, published or sent for review',
        tenantId,
        stage: body.stage,
        decision: outcome.decision,
        reason: outcome.reason,
        text: outcome.redactedText,
        contexts: outcome.redactedContexts,
        findings: outcome.findings.filter((finding) => finding.context === undefined).map(findingOf),
        contextFindings: outcome.findings
          .filter((finding) => finding.context !== undefined)
          .map((finding) => ({ context: finding.context, ...findingOf(finding) })),
        findingCount: outcome.findingCount,
        rulesFired: outcome.detectorRulesFired,
        policyRulesFired: outcome.rulesFired,
        policyVersion: outcome.policyVersion,
      });
    }),
  );
  return router;
}
