/** `POST /v1/answers`: the Keel-native RAG endpoint (problem+json errors). */
import { randomUUID } from 'node:crypto';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey, z } from '@keel/platform';
import { isBlankText } from '@keel/text';
import { type RequestHandler, Router } from 'express';
import type { Answer, AnswerRequest } from '../answering/answer.js';
import {
  defaultTopK,
  filterKeyPattern,
  maxFilters,
  maxFilterValueLength,
  maxModelNameLength,
  maxQuestionLength,
  maxTopK,
} from '../answering/answer-limits.js';
import type { AnswerQuestion } from '../answering/answer-question.js';
import { guardrailHeadersOf } from '../guardrails/guardrail-fields.js';
import { type ModelCatalog, modelNotFound } from '../models/model-catalog.js';
import { streamAnswer } from './answer-stream.js';

export const answerRequestSchema = z.object({
  question: z
    .string()
    .trim()
    .max(maxQuestionLength, `must be at most ${maxQuestionLength} characters`)
    // Zero-width spaces, bidi controls and the like are nothing to answer.
    .refine((question) => !isBlankText(question), 'must not be empty'),
  topK: z.number().int().min(1).max(maxTopK).optional(),
  /** Any chat model the gateway serves (a provider's too); default: the built-in model. */
  model: z.string().min(1).max(maxModelNameLength, `must be at most ${maxModelNameLength} characters`).optional(),
  filters: z
    .record(
      z.string().regex(filterKeyPattern, 'keys must be 1-64 characters of letters, digits, "_" or "-"'),
      z.string().max(maxFilterValueLength, `must be at most ${maxFilterValueLength} characters`),
    )
    .refine((filters) => Object.keys(filters).length <= maxFilters, `must have at most ${maxFilters} entries`)
    .optional(),
  /** Server-sent events (inbound/answer-stream.ts). */
  stream: z.boolean().optional(),
});

export function answersRouter(deps: {
  answerQuestion: AnswerQuestion;
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
  /** Limits and budgets (inbound/metering/http-metering.ts), after the key. */
  meter?: RequestHandler | undefined;
}): Router {
  const router = Router();
  router.post(
    '/v1/answers',
    requireApiKey(deps.apiKeys),
    ...(deps.meter ? [deps.meter] : []),
    asyncRoute(async (req, res) => {
      const body = parseBody(answerRequestSchema, req.body);
      const principal = principalOf(res);
      const model = body.model === undefined ? deps.catalog.defaultModel : deps.catalog.find(body.model);
      if (!model) throw modelNotFound(body.model ?? '');
      const request: AnswerRequest = {
        requestId: randomUUID(),
        endpoint: '/v1/answers',
        tenantId: principal.tenantId,
        subject: principal.subject,
        aclGroups: principal.aclGroups,
        question: body.question,
        topK: body.topK ?? defaultTopK,
        filters: body.filters ?? {},
        model,
      };
      if (body.stream) {
        await streamAnswer(res, (sink) => deps.answerQuestion(request, sink), answerResponseOf);
        return;
      }
      const answer = await deps.answerQuestion(request);
      res.set(guardrailHeadersOf(answer));
      res.json(answerResponseOf(answer));
    }),
  );
  return router;
}

export function answerResponseOf(answer: Answer) {
  return {
    id: answer.id,
    answer: answer.answer,
    citations: answer.citations,
    model: answer.model,
    usage: answer.usage,
    policy: {
      input: policyView(answer.policy.input),
      output: policyView(answer.policy.output),
      ...(answer.policy.passages ? { passages: policyView(answer.policy.passages) } : {}),
      ...(answer.inputFindings && answer.inputFindings.length > 0 ? { inputFindings: answer.inputFindings } : {}),
      ...(answer.withheldPassages && answer.withheldPassages.length > 0
        ? { withheldPassages: answer.withheldPassages }
        : {}),
      ...(answer.policyStatus ? { status: answer.policyStatus } : {}),
    },
    flagged: answer.flagged,
  };
}

function policyView(outcome: Answer['policy']['input']) {
  return {
    decision: outcome.decision,
    reason: outcome.reason,
    policyVersion: outcome.policyVersion,
    decisionId: outcome.decisionId,
  };
}
