/**
 * The answer-question use case, shared by `/v1/answers`, `/v1/chat/completions` and gRPC
 * `keel.inference.v1.Inference/Answer`:
 *  1. policy checks the question (BLOCK → POLICY.BLOCKED: 422, gRPC FAILED_PRECONDITION; REDACT → the redacted question
 *     goes on; ESCALATE → goes on, flagged);
 *  2. retrieval searches the tenant's chunks the caller may read;
 *  3. the model answers from them, citing [1..n];
 *  4. policy checks the answer with its contexts (REDACT → redacted answer; BLOCK → a refusal,
 *     no citations; ESCALATE → served, flagged);
 *  5. `keel.inference.completed.v1` records what was served.
 * A blocked question is not an answer: no completion event (the policy decision is audited).
 *
 * The answer is derived from the passages, so it is only for readers of all of them: the output
 * check and the completion event carry `readRequires`, one requirement per restricted passage,
 * which the policy copies onto an escalation's review and evaluation onto its records.
 */

import type { EventPublisher } from '@keel/event-bus';
import { type ChatResponse, type GroundingContext, isProviderError } from '@keel/models';
import { currentTraceId, type Logger, readRequirementsOf, type Violation, validationError } from '@keel/platform';
import { isBlankText } from '@keel/text';
import { modelCallErrorOf, modelErrorCodeOf } from '../generation/model-errors.js';
import type { Answer, AnswerRequest, PolicyStageOutcome } from './answer.js';
import { blockedAnswerText, questionBlocked } from './answer-errors.js';
import { maxQuestionLength, maxTopK } from './answer-limits.js';
import { citationsOf } from './citations.js';
import { completionEventOf } from './completion-event.js';
import type { ModelCaller } from './model-call.js';
import type { PolicyGate, PolicyVerdict } from './policy-gate.js';
import type { Retriever } from './retriever.js';

export type AnswerQuestion = (request: AnswerRequest) => Promise<Answer>;

export interface AnswerQuestionDeps {
  policy: PolicyGate;
  retriever: Retriever;
  callModel: ModelCaller;
  /** Only `publish` of @keel/event-bus' EventPublisher is needed. */
  events: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  now?: () => Date;
}

export function createAnswerQuestion(deps: AnswerQuestionDeps): AnswerQuestion {
  const now = deps.now ?? (() => new Date());

  return async (request) => {
    const startedAt = performance.now();
    // Each edge names the field its callers know (`messages[2].content`); this is the backstop.
    assertAnswerable(request);
    const input = await deps.policy.check({
      tenantId: request.tenantId,
      stage: 'input',
      text: request.question,
      contexts: [],
      requestId: request.requestId,
      // The question is the caller's own text: nothing restricted yet.
      readRequires: [],
    });
    if (input.decision === 'BLOCK') throw questionBlocked(input);
    const question = input.text;

    const passages = await deps.retriever.search({
      tenantId: request.tenantId,
      query: question,
      topK: request.topK,
      aclGroups: request.aclGroups,
      filters: request.filters,
    });
    const readRequires = readRequirementsOf(passages.map((passage) => passage.aclGroups));
    const contexts: GroundingContext[] = passages.map((passage, index) => ({
      marker: index + 1,
      chunkId: passage.chunkId,
      documentId: passage.documentId,
      title: passage.title,
      text: passage.text,
    }));

    const { descriptor } = request.model;
    let completion: ChatResponse;
    try {
      completion = await deps.callModel(request.model, {
        model: descriptor.id,
        messages: [...(request.conversation ?? []), { role: 'user', content: question }],
        contexts,
        ...(request.maxTokens ? { maxTokens: request.maxTokens } : {}),
      });
    } catch (error) {
      if (!isProviderError(error)) throw error;
      // A provider that failed (after its retries) is recorded too: the event says why and how often it was tried.
      await publishCompletion(deps, {
        answer: {
          id: request.requestId,
          answer: '',
          citations: [],
          model: descriptor.id,
          provider: descriptor.provider,
          usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
          finishReason: 'stop',
          policy: { input: outcomeOf(input), output: notChecked },
          flagged: input.decision === 'ESCALATE',
          latencyMs: Math.round(performance.now() - startedAt),
          attempts: error.attempts,
        },
        tenantId: request.tenantId,
        subject: request.subject,
        endpoint: request.endpoint,
        question,
        passages,
        readRequires,
        traceId: currentTraceId() ?? '',
        completedAt: now(),
        error: { code: modelErrorCodeOf(error), message: error.message },
      });
      throw modelCallErrorOf(error);
    }

    const output = await deps.policy.check({
      tenantId: request.tenantId,
      stage: 'output',
      text: completion.content,
      contexts: passages.map((passage) => passage.text),
      requestId: request.requestId,
      readRequires,
    });
    const blocked = output.decision === 'BLOCK';
    // Quotes of an answer policy changed would repeat what it removed: cite the sources without them.
    const withQuotes = !blocked && output.text === completion.content;

    const answer: Answer = {
      id: request.requestId,
      answer: blocked ? blockedAnswerText : output.text,
      citations: blocked ? [] : citationsOf(completion, passages, { withQuotes }),
      model: descriptor.id,
      provider: descriptor.provider,
      usage: {
        promptTokens: completion.usage.promptTokens,
        completionTokens: completion.usage.completionTokens,
        totalTokens: completion.usage.promptTokens + completion.usage.completionTokens,
        ...(completion.usage.cachedTokens === undefined ? {} : { cachedTokens: completion.usage.cachedTokens }),
        ...(completion.usage.reasoningTokens === undefined
          ? {}
          : { reasoningTokens: completion.usage.reasoningTokens }),
      },
      finishReason: blocked ? 'content_filter' : completion.finishReason,
      policy: { input: outcomeOf(input), output: outcomeOf(output) },
      flagged: input.decision === 'ESCALATE' || output.decision === 'ESCALATE',
      latencyMs: Math.round(performance.now() - startedAt),
      attempts: completion.attempts ?? 1,
    };

    await publishCompletion(deps, {
      answer,
      tenantId: request.tenantId,
      subject: request.subject,
      endpoint: request.endpoint,
      question,
      passages,
      readRequires,
      traceId: currentTraceId() ?? '',
      completedAt: now(),
    });
    return answer;
  };
}

/**
 * A question nothing could answer (blank, or only invisible characters) or one past the limits is
 * refused before policy is asked: a check costs an audited decision, and retrieval would refuse it
 * anyway, after the fact.
 */
function assertAnswerable(request: AnswerRequest): void {
  const violations: Violation[] = [];
  if (isBlankText(request.question)) violations.push({ field: 'question', message: 'must not be empty' });
  else if (request.question.length > maxQuestionLength) {
    violations.push({ field: 'question', message: `must be at most ${maxQuestionLength} characters` });
  }
  if (!Number.isInteger(request.topK) || request.topK < 1 || request.topK > maxTopK) {
    violations.push({ field: 'topK', message: `must be between 1 and ${maxTopK}` });
  }
  if (violations.length > 0) throw validationError(violations);
}

const notChecked: PolicyStageOutcome = {
  decision: 'ALLOW',
  decisionId: '',
  reason: 'not checked: the model gave no answer',
  policyVersion: '',
  findingTypes: [],
};

function outcomeOf(verdict: PolicyVerdict): PolicyStageOutcome {
  return {
    decision: verdict.decision,
    decisionId: verdict.decisionId,
    reason: verdict.reason,
    policyVersion: verdict.policyVersion,
    findingTypes: verdict.findingTypes,
  };
}

/**
 * The answer is complete and checked when this runs: a bus that cannot take the event costs the
 * evaluation one sample, which is logged, not the caller an answer. (Kafka's producer retries
 * before this gives up; policy decisions, unlike this, are audited fail-closed.)
 */
async function publishCompletion(
  deps: AnswerQuestionDeps,
  input: Parameters<typeof completionEventOf>[0],
): Promise<void> {
  try {
    await deps.events.publish('keel.inference.completed.v1', completionEventOf(input), {
      idempotencyKey: input.answer.id,
    });
  } catch (error) {
    deps.logger.error(
      { err: error, request_id: input.answer.id, tenant_id: input.tenantId },
      'keel.inference.completed.v1 could not be published',
    );
  }
}
