/**
 * The lineage of one answer, assembled on read from its entries: what was asked and answered, by
 * which model and provider at what cost, from which chunks, under which policy decisions, how it
 * scored and what reviewers decided, with a timeline in time order carrying each step's trace id.
 *
 * Read access: the view quotes the question, the answer and its chunks, so a caller must meet the
 * requirements of every entry (`canRead` on their union). A request with no entry for the caller's
 * tenant, and one the caller may not read, are one answer: 404 (ids do not leak).
 */
import type { Collection } from '@keel/doc-store';
import { canRead, combineReadRequirements, notFound, type Principal } from '@keel/platform';
import {
  type CompletionFact,
  type EvaluationFact,
  type LineageEntry,
  type LineageKind,
  MAX_ENTRIES_PER_REQUEST,
  type PolicyFact,
  type ReviewFact,
} from './lineage-entry.js';

export type Reader = Pick<Principal, 'tenantId' | 'aclGroups'>;

/** Same-millisecond facts in the order they happen in a request. */
const STAGE_RANK: Record<string, number> = { input: 0, document: 1, output: 2 };
const KIND_RANK: Record<LineageKind, number> = { policy: 0, completion: 3, evaluation: 4, review: 5 };

function rankOf(entry: LineageEntry): number {
  return entry.kind === 'policy' ? (STAGE_RANK[entry.policy.stage] ?? 2) : KIND_RANK[entry.kind];
}

function inTimeOrder(a: LineageEntry, b: LineageEntry): number {
  return a.at - b.at || rankOf(a) - rankOf(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export async function readLineageEntries(
  lineage: Collection<LineageEntry>,
  tenantId: string,
  requestId: string,
): Promise<LineageEntry[]> {
  const page = await lineage.find({
    where: { tenantId, requestId },
    orderBy: { field: 'at', direction: 'asc' },
    limit: MAX_ENTRIES_PER_REQUEST,
  });
  return page.items;
}

type PolicyView = PolicyFact & { decidedAt: string | null; traceId: string | null };

function policyDecisions(entries: LineageEntry[], completion: CompletionFact | null): PolicyView[] {
  const decisions: PolicyView[] = entries.flatMap((entry) =>
    entry.kind === 'policy' ? [{ ...entry.policy, decidedAt: iso(entry.at), traceId: entry.traceId || null }] : [],
  );
  // An outcome the completion reported whose decision event has not arrived (yet): shown with what
  // the completion knew, its version and rules unknown.
  const known = new Set(decisions.map((decision) => decision.decisionId));
  for (const outcome of completion?.policy ?? []) {
    if (outcome.decisionId && known.has(outcome.decisionId)) continue;
    decisions.push({
      decisionId: outcome.decisionId,
      stage: outcome.stage,
      decision: outcome.decision,
      policyVersion: '',
      rulesFired: [],
      findingTypes: outcome.findingTypes,
      findingCount: 0,
      reason: '',
      decidedBy: '',
      decidedAt: null,
      traceId: null,
    });
  }
  return decisions;
}

function timelineItem(entry: LineageEntry) {
  const base = { at: iso(entry.at), kind: entry.kind, traceId: entry.traceId || null };
  switch (entry.kind) {
    case 'completion':
      return {
        ...base,
        id: entry.requestId,
        summary: entry.completion.errorCode
          ? `failed: ${entry.completion.errorCode}`
          : `answered by ${entry.completion.model} (${entry.completion.provider})`,
      };
    case 'policy':
      return {
        ...base,
        id: entry.policy.decisionId,
        summary: `${entry.policy.stage} ${entry.policy.decision} under ${entry.policy.policyVersion || 'no policy'}`,
      };
    case 'evaluation':
      return {
        ...base,
        id: entry.requestId,
        summary: `${entry.evaluation.passed ? 'passed' : 'failed'} ${entry.evaluation.evaluatorVersion}`,
      };
    case 'review':
      return { ...base, id: entry.review.reviewId, summary: `${entry.review.outcome} by ${entry.review.reviewer}` };
  }
}

export function assembleLineage(requestId: string, entries: LineageEntry[]) {
  const ordered = [...entries].sort(inTimeOrder);
  const completionEntry = ordered.find((entry) => entry.kind === 'completion');
  const completion = completionEntry?.completion ?? null;
  const evaluationEntry = ordered.find((entry) => entry.kind === 'evaluation');
  const evaluation: EvaluationFact | null = evaluationEntry?.evaluation ?? null;
  const reviews = ordered.flatMap((entry) => (entry.kind === 'review' ? [{ entry, review: entry.review }] : []));
  const firstReview: ReviewFact | undefined = reviews[0]?.review;
  const traceIds = [...new Set(ordered.map((entry) => entry.traceId).filter((id) => id.length > 0))];
  return {
    requestId,
    traceIds,
    readRequires: combineReadRequirements(...ordered.map((entry) => entry.readRequires)),
    // A request a reviewer saw before its completion arrived (or an escalated input, which never
    // completes) still shows what the review item held.
    question: completion?.question ?? firstReview?.question ?? null,
    answer: completion?.answer ?? firstReview?.originalAnswer ?? null,
    endpoint: completion?.endpoint ?? null,
    model: completion?.model ?? null,
    provider: completion?.provider ?? null,
    usage: completion?.usage ?? null,
    cost: completion ? { amount: completion.cost, currency: completion.currency, priced: completion.priced } : null,
    cacheHit: completion?.cacheHit ?? null,
    latencyMs: completion?.latencyMs ?? null,
    attempts: completion?.attempts ?? null,
    streamed: completion?.streamed ?? null,
    errorCode: completion?.errorCode ?? null,
    policyStatus: completion?.policyStatus ?? null,
    passagesDropped: completion?.passagesDropped ?? null,
    passagesRedacted: completion?.passagesRedacted ?? null,
    completedAt: completionEntry ? iso(completionEntry.at) : null,
    citations: completion?.citations ?? [],
    contexts: completion?.contexts ?? [],
    policyDecisions: policyDecisions(ordered, completion),
    evaluation: evaluation
      ? { ...evaluation, scoredAt: iso(evaluationEntry?.at ?? 0), traceId: evaluationEntry?.traceId || null }
      : null,
    reviews: reviews.map(({ entry, review }) => ({
      ...review,
      decidedAt: iso(entry.at),
      traceId: entry.traceId || null,
    })),
    timeline: ordered.map(timelineItem),
    /** Which kinds of fact have arrived: events come in any order, and some never come. */
    received: {
      completion: completion !== null,
      policyDecisions: ordered.some((entry) => entry.kind === 'policy'),
      evaluation: evaluation !== null,
      reviews: reviews.length,
    },
  };
}

export type AnswerLineage = ReturnType<typeof assembleLineage>;

export async function getAnswerLineage(
  lineage: Collection<LineageEntry>,
  reader: Reader,
  requestId: string,
): Promise<AnswerLineage> {
  const entries = await readLineageEntries(lineage, reader.tenantId, requestId);
  const view = entries.length > 0 ? assembleLineage(requestId, entries) : null;
  // Hidden and missing are one answer (404, never 403): ids reveal nothing.
  if (!view || !canRead(reader.aclGroups, view.readRequires)) {
    throw notFound(`lineage of request ${requestId}`, 'LINEAGE.NOT_FOUND');
  }
  return view;
}
