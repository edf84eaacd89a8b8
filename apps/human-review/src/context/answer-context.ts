/**
 * What evaluation and policy said of an answer, kept so that a reviewer sees it beside the item:
 * the scores and claim verdicts of `keel.evaluation.scored.v1` (collection `answer_evaluations`,
 * one record per tenant and request) and the decisions of `keel.policy.decided.v1` (collection
 * `answer_policy_decisions`, one record per decision, indexed by tenant and request).
 *
 * Every answer is kept, not only those with a review item: the events of one answer arrive in any
 * order (scores usually before the review request they cause), and one upsert per event is cheaper
 * than deciding. Records expire after 7 days like the escalated exchanges; an item older than that
 * shows an empty context, and its lineage (evaluation keeps it) still has everything.
 *
 * Each event is one upsert keyed by its natural key, so a redelivery rewrites the same record.
 */
import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { Collection, CollectionOptions } from '@keel/doc-store';
import { canRead, type GroupRequirement } from '@keel/platform';
import { EXCHANGE_RETENTION_MS, exchangeIdOf } from '../reviews/escalated-exchange.js';
import { checkEventLimits } from '../reviews/review-limits.js';
import { evaluationScoredLimits, policyDecidedLimits } from './context-limits.js';

export const EVALUATIONS_COLLECTION = 'answer_evaluations';
export const POLICY_DECISIONS_COLLECTION = 'answer_policy_decisions';

/** As long as the exchanges: both serve the items of the same answers. */
export const CONTEXT_RETENTION_MS = EXCHANGE_RETENTION_MS;

export const evaluationsCollectionOptions: CollectionOptions = { ttlField: 'expiresAt' };
export const policyDecisionsCollectionOptions: CollectionOptions = {
  ttlField: 'expiresAt',
  indexes: [{ fields: ['tenantId', 'requestId'] }],
};

// Type aliases, not interfaces: the store's `Collection<T>` needs T's implicit index signature.
export type StoredScore = { metric: string; value: number; explanation: string; unit: string };
export type StoredVerdict = { claim: string; supported: boolean; supportingChunkId: string; support: number };

export type AnswerEvaluation = {
  /** exchangeIdOf(tenantId, requestId). */
  id: string;
  tenantId: string;
  requestId: string;
  traceId: string;
  scores: StoredScore[];
  verdicts: StoredVerdict[];
  /** The review threshold groundedness was held to. */
  threshold: number;
  passed: boolean;
  evaluatorVersion: string;
  /** Epoch milliseconds, null when the event had none. */
  scoredAt: number | null;
  /** The verdicts quote the answer: who may read them. */
  readRequires: GroupRequirement[];
  storedAt: number;
  expiresAt: number;
};

export type StoredFindingSpan = {
  type: string;
  start: number;
  end: number;
  ruleId: string;
  /** Set for a finding in one of the checked contexts (offsets in that context). */
  context: number | null;
  /** Lowercase; empty when the decider did not say. */
  action: string;
};

export type AnswerPolicyDecision = {
  /** exchangeIdOf(tenantId, decisionId): decision ids are unique per tenant. */
  id: string;
  tenantId: string;
  requestId: string;
  decisionId: string;
  /** `input` or `output` (document scans have no request and are not kept). */
  stage: string;
  /** ALLOW, REDACT, BLOCK or ESCALATE. */
  decision: string;
  findingTypes: string[];
  findingCount: number;
  /** Where the findings are, when the decider published it (absent on older events). */
  findingSpans?: StoredFindingSpan[];
  rulesFired: string[];
  reason: string;
  policyVersion: string;
  decidedBy: string;
  decidedAt: number | null;
  storedAt: number;
  expiresAt: number;
};

export interface ContextStore {
  evaluations: Collection<AnswerEvaluation>;
  policyDecisions: Collection<AnswerPolicyDecision>;
  /** Epoch milliseconds; tests pin it. */
  now: () => number;
}

/** The use case behind `keel.evaluation.scored.v1` (group `keel-human-review-scores`). */
export async function recordEvaluation(store: ContextStore, event: EvaluationScored): Promise<AnswerEvaluation> {
  checkEventLimits(evaluationScoredLimits, event, 'evaluation scores');
  const now = store.now();
  const record: AnswerEvaluation = {
    id: exchangeIdOf(event.tenantId, event.requestId),
    tenantId: event.tenantId,
    requestId: event.requestId,
    traceId: event.traceId,
    scores: event.scores.map(({ metric, value, explanation, unit }) => ({
      metric,
      value,
      explanation,
      unit: unit ?? '',
    })),
    verdicts: event.verdicts.map(({ claim, supported, supportingChunkId, support }) => ({
      claim,
      supported,
      supportingChunkId,
      support,
    })),
    threshold: event.threshold,
    passed: event.passed,
    evaluatorVersion: event.evaluatorVersion,
    scoredAt: event.scoredAt ? event.scoredAt.getTime() : null,
    readRequires: event.readRequires.map((requirement) => ({ anyOf: [...requirement.anyOf] })),
    storedAt: now,
    expiresAt: now + CONTEXT_RETENTION_MS,
  };
  await store.evaluations.upsert(record);
  return record;
}

export type RecordDecisionResult = 'stored' | 'not-an-answer';

/**
 * The use case behind `keel.policy.decided.v1` (group `keel-human-review-findings`). A decision
 * without a request id is a document scan at ingestion: it belongs to no answer and is passed over.
 */
export async function recordPolicyDecision(store: ContextStore, event: PolicyDecided): Promise<RecordDecisionResult> {
  checkEventLimits(policyDecidedLimits, event, 'policy decision');
  if (!event.requestId) return 'not-an-answer';
  const now = store.now();
  await store.policyDecisions.upsert({
    id: exchangeIdOf(event.tenantId, event.decisionId),
    tenantId: event.tenantId,
    requestId: event.requestId,
    decisionId: event.decisionId,
    stage: event.stage,
    decision: event.decision,
    findingTypes: [...event.findingTypes],
    findingCount: event.findingCount,
    ...(event.findingSpans
      ? {
          findingSpans: event.findingSpans.items.map((span) => ({
            type: span.type,
            start: span.start,
            end: span.end,
            ruleId: span.ruleId,
            context: span.context ?? null,
            action: span.action.toLowerCase(),
          })),
        }
      : {}),
    rulesFired: [...event.rulesFired],
    reason: event.reason,
    policyVersion: event.policyVersion,
    decidedBy: event.decidedBy,
    decidedAt: event.decidedAt ? event.decidedAt.getTime() : null,
    storedAt: now,
    expiresAt: now + CONTEXT_RETENTION_MS,
  });
  return 'stored';
}

export interface ScoreView {
  name: string;
  value: number;
  /** The review threshold, on the metric it applies to (groundedness). */
  threshold?: number;
  /** Empty for a score in [0, 1]; `ms` or a currency for a measurement. */
  unit: string;
  explanation: string;
}

export interface VerdictView {
  claim: string;
  supported: boolean;
  citedChunkIds: string[];
  support: number;
}

export interface FindingView {
  stage: string;
  type: string;
  /** UTF-16 offsets in the stage's text (or in context `context`); null for events that carried types only. */
  start: number | null;
  end: number | null;
  /** Set when the finding is in one of the answer's contexts (output stage). */
  context?: number;
  /** The detector's rule that matched (`pii.email.dot-atom`), when the event carried spans. */
  detectorRule?: string;
  /** What the stage's decision did (lowercase: allow, redact, block, escalate). */
  action: string;
  /** The policy rule that fired, when the stage's decision names exactly one. */
  rule?: string;
}

export interface DecisionView {
  decisionId: string;
  stage: string;
  decision: string;
  reason: string;
  policyVersion: string;
  rulesFired: string[];
  findingTypes: string[];
  findingCount: number;
  decidedBy: string;
  decidedAt: string | null;
}

export interface AnswerContextView {
  requestId: string;
  scores: ScoreView[];
  verdicts: VerdictView[];
  /** Null until the evaluation has arrived. */
  passed: boolean | null;
  evaluatorVersion: string | null;
  scoredAt: string | null;
  findings: FindingView[];
  /** Every policy decision of the answer, input before output. */
  decisions: DecisionView[];
  /** The version of the policy that decided last (the output's when there is one); null without decisions. */
  policyVersion: string | null;
  lineageUrl: string;
}

/** The metric the review threshold applies to (evaluation requests a review below it). */
const THRESHOLD_METRIC = 'groundedness';
// An answer has an input and an output decision, twice when the gateway fell back to the policy service.
const DECISIONS_PAGE = 50;
const STAGE_ORDER: Record<string, number> = { input: 0, document: 1, output: 2 };

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

/**
 * The context of one answer, as a reader of its review item sees it. The caller has checked the
 * item; the scores are shown only when the reader may also read what evaluation scored.
 */
export async function loadAnswerContext(
  store: ContextStore,
  reader: { aclGroups: readonly string[] },
  item: { id: string; tenantId: string; requestId: string },
): Promise<AnswerContextView> {
  const lineageUrl = `/v1/reviews/${encodeURIComponent(item.id)}/lineage`;
  if (!item.requestId) return emptyContext(item.requestId, lineageUrl);
  const [evaluation, decisions] = await Promise.all([
    store.evaluations.get(exchangeIdOf(item.tenantId, item.requestId)),
    store.policyDecisions.find({
      where: { tenantId: item.tenantId, requestId: item.requestId },
      limit: DECISIONS_PAGE,
    }),
  ]);
  const readable = evaluation && canRead(reader.aclGroups, evaluation.readRequires) ? evaluation : null;
  const ordered = [...decisions.items].sort(
    (a, b) => (STAGE_ORDER[a.stage] ?? 1) - (STAGE_ORDER[b.stage] ?? 1) || (a.decidedAt ?? 0) - (b.decidedAt ?? 0),
  );
  return {
    requestId: item.requestId,
    scores: readable ? readable.scores.map((score) => scoreView(score, readable.threshold)) : [],
    verdicts: readable ? readable.verdicts.map(verdictView) : [],
    passed: readable ? readable.passed : null,
    evaluatorVersion: readable ? readable.evaluatorVersion : null,
    scoredAt: readable ? iso(readable.scoredAt) : null,
    findings: ordered.flatMap(findingsOf),
    decisions: ordered.map(decisionView),
    policyVersion: ordered.at(-1)?.policyVersion || null,
    lineageUrl,
  };
}

function emptyContext(requestId: string, lineageUrl: string): AnswerContextView {
  return {
    requestId,
    scores: [],
    verdicts: [],
    passed: null,
    evaluatorVersion: null,
    scoredAt: null,
    findings: [],
    decisions: [],
    policyVersion: null,
    lineageUrl,
  };
}

function scoreView(score: StoredScore, threshold: number): ScoreView {
  return {
    name: score.metric,
    value: score.value,
    ...(score.metric === THRESHOLD_METRIC ? { threshold } : {}),
    unit: score.unit,
    explanation: score.explanation,
  };
}

function verdictView(verdict: StoredVerdict): VerdictView {
  return {
    claim: verdict.claim,
    supported: verdict.supported,
    citedChunkIds: verdict.supportingChunkId ? [verdict.supportingChunkId] : [],
    support: verdict.support,
  };
}

function findingsOf(decision: AnswerPolicyDecision): FindingView[] {
  const stageAction = decision.decision.toLowerCase();
  const rule = decision.rulesFired.length === 1 ? decision.rulesFired[0] : undefined;
  if (decision.findingSpans && decision.findingSpans.length > 0) {
    return decision.findingSpans.map((span) => ({
      stage: decision.stage,
      type: span.type,
      start: span.start,
      end: span.end,
      ...(span.context !== null ? { context: span.context } : {}),
      action: span.action || stageAction,
      ...(rule ? { rule } : {}),
      detectorRule: span.ruleId,
    }));
  }
  // Older events name the types only: no spans to highlight.
  return decision.findingTypes.map((type) => ({
    stage: decision.stage,
    type,
    start: null,
    end: null,
    action: stageAction,
    ...(rule ? { rule } : {}),
  }));
}

function decisionView(decision: AnswerPolicyDecision): DecisionView {
  return {
    decisionId: decision.decisionId,
    stage: decision.stage,
    decision: decision.decision,
    reason: decision.reason,
    policyVersion: decision.policyVersion,
    rulesFired: decision.rulesFired,
    findingTypes: decision.findingTypes,
    findingCount: decision.findingCount,
    decidedBy: decision.decidedBy,
    decidedAt: iso(decision.decidedAt),
  };
}
