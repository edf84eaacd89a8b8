/**
 * How much of an evaluation or a policy decision the item context keeps. Far above what the
 * producers send (evaluation scores a handful of metrics and one verdict per sentence of an answer
 * of at most 65,536 characters; policy lists at most 1,000 findings, naming each type once), low
 * enough that one stored record stays far below MongoDB's 16 MB document limit. An event over a
 * limit fails non-retryably naming the field, so the bus dead-letters it at once; nothing is cut.
 */
import { z } from '@keel/platform';
import { REVIEW_LIMITS } from '../reviews/review-limits.js';

export const CONTEXT_LIMITS = {
  scores: 64,
  metricChars: 128,
  explanationChars: 8_192,
  unitChars: 32,
  verdicts: 2_000,
  claimChars: REVIEW_LIMITS.answerChars,
  stageChars: 32,
  decisionChars: 32,
  findingTypes: 500,
  findingTypeChars: 256,
  rulesFired: 500,
  ruleChars: 256,
  /** MAX_EVENT_FINDING_SPANS of the policy engine; a detector's rule id is longer than a policy rule's. */
  findingSpans: 100,
  detectorRuleChars: 512,
  reasonChars: 8_192,
  policyVersionChars: 256,
  evaluatorVersionChars: 256,
  /** Every claim of one evaluation together (the answer's sentences: at most the answer's length, twice over). */
  totalClaimChars: 2 * REVIEW_LIMITS.answerChars,
} as const;

const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const list = <T extends z.ZodType>(item: T, limit: number) => z.array(item).max(limit, `at most ${limit} entries`);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const requirement = z.object({
  anyOf: list(text(REVIEW_LIMITS.groupChars), REVIEW_LIMITS.aclGroups).refine(
    (anyOf) => anyOf.some((group) => group.trim().length > 0),
    { message: 'must name at least one group (a requirement no one can meet is not "everyone")' },
  ),
});

export const evaluationScoredLimits = z
  .object({
    tenantId: text(REVIEW_LIMITS.tenantChars).min(1, 'is required'),
    requestId: text(REVIEW_LIMITS.idChars).min(1, 'is required'),
    traceId: text(REVIEW_LIMITS.traceIdChars),
    scores: list(
      z.object({
        metric: text(CONTEXT_LIMITS.metricChars),
        value: finite,
        explanation: text(CONTEXT_LIMITS.explanationChars),
        unit: text(CONTEXT_LIMITS.unitChars).optional(),
      }),
      CONTEXT_LIMITS.scores,
    ),
    verdicts: list(
      z.object({
        claim: text(CONTEXT_LIMITS.claimChars),
        supportingChunkId: text(REVIEW_LIMITS.chunkIdChars),
        support: finite,
      }),
      CONTEXT_LIMITS.verdicts,
    ),
    threshold: finite,
    evaluatorVersion: text(CONTEXT_LIMITS.evaluatorVersionChars),
    readRequires: list(requirement, REVIEW_LIMITS.readRequires),
  })
  .superRefine((event, context) => {
    const total = event.verdicts.reduce((sum, verdict) => sum + verdict.claim.length, 0);
    if (total > CONTEXT_LIMITS.totalClaimChars) {
      context.addIssue({
        code: 'custom',
        path: ['verdicts'],
        message: `claims together exceed ${CONTEXT_LIMITS.totalClaimChars} characters`,
      });
    }
  });

export const policyDecidedLimits = z.object({
  tenantId: text(REVIEW_LIMITS.tenantChars).min(1, 'is required'),
  requestId: text(REVIEW_LIMITS.idChars),
  decisionId: text(REVIEW_LIMITS.idChars).min(1, 'is required'),
  stage: text(CONTEXT_LIMITS.stageChars),
  decision: text(CONTEXT_LIMITS.decisionChars),
  findingTypes: list(text(CONTEXT_LIMITS.findingTypeChars), CONTEXT_LIMITS.findingTypes),
  rulesFired: list(text(CONTEXT_LIMITS.ruleChars), CONTEXT_LIMITS.rulesFired),
  reason: text(CONTEXT_LIMITS.reasonChars),
  policyVersion: text(CONTEXT_LIMITS.policyVersionChars),
  findingCount: z.number().int().min(0),
  decidedBy: text(REVIEW_LIMITS.requestedByChars),
  findingSpans: z
    .object({
      items: list(
        z.object({
          type: text(CONTEXT_LIMITS.findingTypeChars),
          start: z.number().int().min(0),
          end: z.number().int().min(0),
          ruleId: text(CONTEXT_LIMITS.detectorRuleChars),
          context: z.number().int().min(0).optional(),
          action: text(CONTEXT_LIMITS.decisionChars),
        }),
        CONTEXT_LIMITS.findingSpans,
      ),
    })
    .optional(),
});
