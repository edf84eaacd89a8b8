/**
 * The use case behind `keel.policy.decided.v1`: a decision another service made (the gateway
 * evaluating a tenant's compiled policy in process) joins this service's audit, in the same
 * `decisions` collection and the same record shape as its own Checks and Scans, so the audit
 * owner holds every decision whoever evaluated.
 *
 * Insert-or-nothing on the decision id: a redelivered event is one record, and an event can
 * never overwrite a record this service wrote. The service's own events are skipped (stored
 * before they were published). A malformed event (no id, an unknown stage or decision, over a
 * limit) is a permanent defect of the message: a non-retryable validation error, so the bus
 * dead-letters it at once and the consumer goes on.
 */
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { describeViolations, type Logger, type Violation, validationError, z } from '@keel/platform';
import type { DecisionRecord } from './decision-audit.js';

/** What this service writes as `decided_by` on its own decisions. */
export const OWN_DECIDER = 'policy';

/**
 * Far above what a decision carries (ids as Check limits them, a policy of at most 500 rules of
 * ids of at most 100 characters), low enough that one record stays small.
 */
export const PUBLISHED_DECISION_LIMITS = {
  idChars: 512,
  policyVersionChars: 600,
  reasonChars: 16_384,
  findingTypes: 1_000,
  findingTypeChars: 256,
  rulesFired: 500,
  ruleIdChars: 100,
  deciderChars: 128,
  /** MAX_EVENT_FINDING_SPANS of @keel/policy-engine; a detector rule id is longer than a policy rule id. */
  findingSpans: 100,
  detectorRuleChars: 512,
} as const;

const L = PUBLISHED_DECISION_LIMITS;
const text = (limit: number) => z.string().max(limit, `at most ${limit} characters`);
const required = (limit: number) => text(limit).min(1, 'is required');
const list = <T extends z.ZodType>(item: T, limit: number) => z.array(item).max(limit, `at most ${limit} entries`);

const publishedDecision = z.object({
  decisionId: required(L.idChars),
  tenantId: required(L.idChars),
  requestId: text(L.idChars),
  stage: z.enum(['input', 'output', 'document'], { message: 'must be input, output or document' }),
  decision: z.enum(['ALLOW', 'REDACT', 'BLOCK', 'ESCALATE'], { message: 'must be ALLOW, REDACT, BLOCK or ESCALATE' }),
  findingTypes: list(required(L.findingTypeChars), L.findingTypes),
  reason: text(L.reasonChars),
  policyVersion: required(L.policyVersionChars),
  decidedAt: z.date({ message: 'is required' }).refine((date) => !Number.isNaN(date.getTime()), 'is not a time'),
  rulesFired: list(required(L.ruleIdChars), L.rulesFired),
  findingCount: z.number().int().min(0, 'must not be negative'),
  decidedBy: required(L.deciderChars),
  findingSpans: z
    .object({
      items: list(
        z.object({
          type: required(L.findingTypeChars),
          start: z.number().int().min(0),
          end: z.number().int().min(0),
          ruleId: text(L.detectorRuleChars),
          context: z.number().int().min(0).optional(),
          action: text(L.findingTypeChars),
        }),
        L.findingSpans,
      ),
    })
    .optional(),
});

/** `rules_fired[3]`: the field as the proto spells it, as a reader of the dead letter would look for it. */
function fieldOf(path: readonly PropertyKey[]): string {
  let field = '';
  for (const key of path) {
    const name = String(key).replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    field = typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${name}` : name;
  }
  return field || '(event)';
}

/** The audit record of a published decision, or a non-retryable validation error naming each bad field. */
export function decisionRecordOf(event: PolicyDecided): DecisionRecord {
  const parsed = publishedDecision.safeParse(event);
  if (!parsed.success) {
    const violations: Violation[] = parsed.error.issues.map((issue) => ({
      field: fieldOf(issue.path),
      message: issue.message,
    }));
    const which = event.decisionId ? ` (decision ${event.decisionId.slice(0, 100)})` : '';
    throw validationError(violations, `invalid keel.policy.decided.v1${which}: ${describeViolations(violations)}`);
  }
  const decided = parsed.data;
  return {
    id: decided.decisionId,
    tenantId: decided.tenantId,
    requestId: decided.requestId,
    documentId: '',
    stage: decided.stage,
    decision: decided.decision,
    findingTypes: [...new Set(decided.findingTypes)],
    // Where the findings were, as the decider published them (offsets into a text the audit never
    // holds); the confidence is the decider's to know.
    findings: (decided.findingSpans?.items ?? []).map(({ type, start, end, ruleId, context }) => ({
      type,
      start,
      end,
      ruleId,
      confidence: 0,
      ...(context !== undefined ? { context } : {}),
    })),
    findingCount: decided.findingCount,
    reason: decided.reason,
    policyVersion: decided.policyVersion,
    rulesFired: decided.rulesFired,
    // Not carried by the event.
    contextCount: 0,
    decidedAt: decided.decidedAt.getTime(),
    decidedBy: decided.decidedBy,
  };
}

export type RecordResult = 'recorded' | 'already-recorded' | 'own-decision';

export interface RecordPublishedDecisionDeps {
  decisions: Pick<Collection<DecisionRecord>, 'insert'>;
  logger: Logger;
}

/**
 * Stores a decision another service published. Events without `decided_by` come from this service
 * before the field existed: its own, stored already.
 */
export async function recordPublishedDecision(
  deps: RecordPublishedDecisionDeps,
  event: PolicyDecided,
): Promise<RecordResult> {
  if (event.decidedBy === OWN_DECIDER || event.decidedBy === '') return 'own-decision';
  const record = decisionRecordOf(event);
  try {
    await deps.decisions.insert(record);
  } catch (error) {
    if (error instanceof DuplicateKeyError) return 'already-recorded';
    throw error;
  }
  deps.logger.debug(
    { decisionId: record.id, tenantId: record.tenantId, decidedBy: record.decidedBy, decision: record.decision },
    'published decision recorded',
  );
  return 'recorded';
}
