/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` (plain and `stream: true` as
 * server-sent events ending with `data: [DONE]`), `GET /v1/models` and `GET /v1/models/{id}`.
 * The last user message is answered with the same use case as `/v1/answers`. A stream starts
 * only once the answer has passed the output policy check, so nothing unchecked is ever sent.
 */
import { randomUUID } from 'node:crypto';
import {
  type ApiKeyResolver,
  asyncRoute,
  GrpcCode,
  KeelError,
  parseBody,
  principalOf,
  requireApiKey,
} from '@keel/platform';
import { type Response, Router } from 'express';
import type { Answer } from '../../answering/answer.js';
import type { AnswerQuestion } from '../../answering/answer-question.js';
import type { ModelCatalog } from '../../models/model-catalog.js';
import { defaultTopK } from '../answers-routes.js';
import { chatCompletionRequestSchema, conversationOf } from './chat-completion-request.js';
import { chatCompletionChunks, chatCompletionOf } from './chat-completion-response.js';

// Worded as OpenAI words it, for clients that show the message.
function modelNotFound(id: string): KeelError {
  return new KeelError(`The model '${id}' does not exist or you do not have access to it.`, {
    code: 'MODEL.NOT_FOUND',
    httpStatus: 404,
    grpcCode: GrpcCode.NOT_FOUND,
    retryable: false,
  });
}

export function openAiRouter(deps: {
  answerQuestion: AnswerQuestion;
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
  /** Unix seconds reported as each model's `created`: when this gateway started serving it. */
  modelsCreated: number;
}): Router {
  const router = Router();
  router.use(['/v1/chat', '/v1/models'], requireApiKey(deps.apiKeys));

  const modelView = (descriptor: ReturnType<ModelCatalog['list']>[number]) => ({
    id: descriptor.id,
    object: 'model' as const,
    created: deps.modelsCreated,
    owned_by: descriptor.ownedBy,
  });

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: deps.catalog.list().map(modelView) });
  });

  router.get('/v1/models/:id', (req, res) => {
    const model = deps.catalog.find(req.params.id);
    if (!model) throw modelNotFound(req.params.id);
    res.json(modelView(model.descriptor));
  });

  router.post(
    '/v1/chat/completions',
    asyncRoute(async (req, res) => {
      const created = Math.floor(Date.now() / 1000);
      const body = parseBody(chatCompletionRequestSchema, req.body);
      const model = deps.catalog.find(body.model);
      if (!model) throw modelNotFound(body.model);
      const { question, history } = conversationOf(body);
      const principal = principalOf(res);
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      const answer = await deps.answerQuestion({
        requestId: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
        endpoint: '/v1/chat/completions',
        tenantId: principal.tenantId,
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
