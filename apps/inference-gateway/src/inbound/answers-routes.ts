/** `POST /v1/answers`: the Keel-native RAG endpoint (problem+json errors). */
import { randomUUID } from 'node:crypto';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey, z } from '@keel/platform';
import { Router } from 'express';
import type { Answer } from '../answering/answer.js';
import { defaultTopK, maxQuestionLength, maxTopK } from '../answering/answer-limits.js';
import type { AnswerQuestion } from '../answering/answer-question.js';
import type { ModelCatalog } from '../models/model-catalog.js';

const answerRequestSchema = z.object({
  question: z.string().trim().min(1, 'must not be empty').max(maxQuestionLength),
  topK: z.number().int().min(1).max(maxTopK).optional(),
  filters: z.record(z.string(), z.string()).optional(),
});

export function answersRouter(deps: {
  answerQuestion: AnswerQuestion;
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
}): Router {
  const router = Router();
  router.post(
    '/v1/answers',
    requireApiKey(deps.apiKeys),
    asyncRoute(async (req, res) => {
      const body = parseBody(answerRequestSchema, req.body);
      const principal = principalOf(res);
      const answer = await deps.answerQuestion({
        requestId: randomUUID(),
        endpoint: '/v1/answers',
        tenantId: principal.tenantId,
        aclGroups: principal.aclGroups,
        question: body.question,
        topK: body.topK ?? defaultTopK,
        filters: body.filters ?? {},
        model: deps.catalog.defaultModel,
      });
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
