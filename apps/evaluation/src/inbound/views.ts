/** The JSON the HTTP API returns: stored records with times as ISO-8601 strings. */
import { isCompleteExample, missingParts } from '../datasets/example-completeness.js';
import type { GoldenExample } from '../datasets/golden-example.js';
import type { EvaluationRecord } from '../evaluations/evaluation-record.js';

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

export function evaluationView(record: EvaluationRecord) {
  return {
    requestId: record.requestId,
    traceId: record.traceId,
    readRequires: record.readRequires ?? [],
    endpoint: record.endpoint,
    model: record.model,
    question: record.question,
    answer: record.answer,
    groundedness: record.groundedness,
    citationCoverage: record.citationCoverage,
    scores: record.scores,
    verdicts: record.verdicts,
    abstained: record.abstained,
    threshold: record.threshold,
    claimThreshold: record.claimThreshold,
    passed: record.passed,
    evaluatorVersion: record.evaluatorVersion,
    reviewId: record.reviewId,
    // Online metrics' details; absent on records scored before them.
    citationChecks: record.citationChecks ?? [],
    onlineMetricsVersion: record.onlineMetricsVersion ?? null,
    judge: record.judge ?? null,
    contextCount: record.contextCount ?? null,
    latencyMs: record.latencyMs ?? null,
    cost: record.cost ?? null,
    currency: record.currency ?? null,
    completedAt: iso(record.completedAt),
    scoredAt: iso(record.createdAt),
  };
}

export function exampleView(example: GoldenExample) {
  return {
    id: example.id,
    datasetId: example.datasetId,
    readRequires: example.readRequires ?? [],
    complete: isCompleteExample(example),
    // Examples stored before `missing` existed are judged by their text.
    missing: example.missing ?? missingParts(example),
    question: example.question,
    answer: example.answer,
    label: example.label,
    source: example.source,
    originalAnswer: example.originalAnswer,
    requestId: example.requestId,
    traceId: example.traceId,
    reviewer: example.reviewer,
    comment: example.comment,
    citations: example.citations ?? [],
    contexts: example.contexts ?? [],
    decidedAt: iso(example.decidedAt),
    createdAt: iso(example.createdAt),
  };
}
