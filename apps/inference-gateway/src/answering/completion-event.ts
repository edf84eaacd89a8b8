/** The `keel.inference.completed.v1` payload of a served answer. */
import type { TopicPayload } from '@keel/contracts';
import type { GroupRequirement } from '@keel/platform';
import type { Answer } from './answer.js';
import type { RetrievedPassage } from './retriever.js';

export type InferenceCompletedPayload = TopicPayload<'keel.inference.completed.v1'>;

export function completionEventOf(input: {
  answer: Answer;
  tenantId: string;
  /** Who asked (see AnswerRequest.subject). */
  subject: string;
  endpoint: string;
  /** The model name the caller asked for (an alias, say); the answer names the one that served it. */
  requestedModel: string;
  /** The question as answered: after input redaction, so the event carries no more than the model saw. */
  question: string;
  passages: readonly RetrievedPassage[];
  /** Who may read the exchange: readRequirementsOf the passages' groups. */
  readRequires: readonly GroupRequirement[];
  traceId: string;
  completedAt: Date;
  /** A request that failed at the model: no answer was served. */
  error?: { code: string; message: string };
}): InferenceCompletedPayload {
  const { answer } = input;
  return {
    requestId: answer.id,
    traceId: input.traceId,
    tenantId: input.tenantId,
    endpoint: input.endpoint,
    operation: 'answer',
    model: answer.model,
    requestedModel: input.requestedModel,
    provider: answer.provider,
    usage: { ...answer.usage, costUsd: 0 },
    latencyMs: answer.latencyMs,
    question: input.question,
    answer: answer.answer,
    contexts: input.passages.map((passage) => ({
      chunkId: passage.chunkId,
      documentId: passage.documentId,
      documentVersion: passage.documentVersion,
      text: passage.text,
      score: passage.score,
      aclGroups: [...passage.aclGroups],
    })),
    citations: answer.citations,
    policy: [
      ...(['input', 'output'] as const).map((stage) => ({
        stage,
        decision: answer.policy[stage].decision,
        decisionId: answer.policy[stage].decisionId,
        findingTypes: answer.policy[stage].findingTypes,
      })),
      // The retrieved passages' check, when there were passages to check.
      ...(answer.policy.passages
        ? [
            {
              stage: 'document',
              decision: answer.policy.passages.decision,
              decisionId: answer.policy.passages.decisionId,
              findingTypes: answer.policy.passages.findingTypes,
            },
          ]
        : []),
    ],
    completedAt: input.completedAt,
    readRequires: input.readRequires.map((requirement) => ({ anyOf: [...requirement.anyOf] })),
    subject: input.subject,
    attempts: answer.attempts ?? 1,
    streamed: false,
    ...(input.error ? { errorCode: input.error.code, errorMessage: input.error.message } : {}),
    ...(answer.policyStatus ? { policyStatus: answer.policyStatus } : {}),
    ...passageCounts(answer),
  };
}

function passageCounts(answer: Answer): Pick<InferenceCompletedPayload, 'passagesDropped' | 'passagesRedacted'> {
  const withheld = answer.withheldPassages ?? [];
  if (withheld.length === 0) return {};
  return {
    passagesDropped: withheld.filter((passage) => passage.action === 'dropped').length,
    passagesRedacted: withheld.filter((passage) => passage.action === 'redacted').length,
  };
}
