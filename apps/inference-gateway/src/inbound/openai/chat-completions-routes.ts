/**
 * The OpenAI-compatible chat surface: `POST /v1/chat/completions` (plain and `stream: true` as
 * server-sent events ending with `data: [DONE]`). The last user message is answered with the same
 * use case as `/v1/answers`. A stream starts only once the answer has passed the output policy
 * check, so nothing unchecked is ever sent.
 */
import { randomUUID } from 'node:crypto';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey } from '@keel/platform';
import { type Response, Router } from 'express';
import type { Answer } from '../../answering/answer.js';
import { defaultTopK } from '../../answering/answer-limits.js';
import type { AnswerQuestion } from '../../answering/answer-question.js';
import { type ModelCatalog, modelNotFound } from '../../models/model-catalog.js';
import { chatCompletionRequestSchema, conversationOf } from './chat-completion-request.js';
import { chatCompletionChunks, chatCompletionOf } from './chat-completion-response.js';

export function chatCompletionsRouter(deps: {
  answerQuestion: AnswerQuestion;
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
}): Router {
  const router = Router();
  router.use('/v1/chat', requireApiKey(deps.apiKeys));

  router.post(
    '/v1/chat/completions',
    asyncRoute(async (req, res) => {
      const created = Math.floor(Date.now() / 1000);
      const body = parseBody(chatCompletionRequestSchema, req.body);
      // The whole request is checked before anything runs: no policy check for a question over the limits.
      const { question, history } = conversationOf(body);
      const model = deps.catalog.find(body.model);
      if (!model) throw modelNotFound(body.model);
      const principal = principalOf(res);
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      const answer = await deps.answerQuestion({
        requestId: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
        endpoint: '/v1/chat/completions',
        tenantId: principal.tenantId,
        subject: principal.subject,
        aclGroups: principal.aclGroups,
        question,
        conversation: history,
        topK: defaultTopK,
        filters: {},
        model,
        ...(maxTokens ? { maxTokens } : {}),
      });
      if (body.stream) writeStream(res, answer, created, body.stream_options?.include_usage === true);
      else res.json(chatCompletionOf(answer, created));
    }),
  );
  return router;
}

function writeStream(res: Response, answer: Answer, created: number, includeUsage: boolean): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  for (const chunk of chatCompletionChunks(answer, created, { includeUsage })) {
    // A client that went away gets no more writes.
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}
