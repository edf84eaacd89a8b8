/**
 * The OpenAI-compatible chat surface: `POST /v1/chat/completions` (plain and `stream: true` as
 * server-sent events ending with `data: [DONE]`).
 *  - The built-in model (`keel-extractive-v1`) answers the last user message with the same use
 *    case as `/v1/answers` (retrieval, citations); its stream starts only once the answer has
 *    passed the output policy check, so nothing unchecked is ever sent.
 *  - A provider model gets the request passed through (generation/generate-completion.ts): no
 *    retrieval, tools and the rest included, the provider's answer in OpenAI's shape, streamed as
 *    it arrives (see there for what a stream holds back).
 */
import { randomUUID } from 'node:crypto';
import type { ChatModel } from '@keel/models';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey } from '@keel/platform';
import { type RequestHandler, type Response, Router } from 'express';
import type { Answer } from '../../answering/answer.js';
import { defaultTopK } from '../../answering/answer-limits.js';
import type { AnswerQuestion } from '../../answering/answer-question.js';
import type { CompletionSink, GenerateCompletion } from '../../generation/generate-completion.js';
import { isModelCallError } from '../../generation/model-errors.js';
import { guardrailHeadersOf, openAiGuardrailFieldsOf } from '../../guardrails/guardrail-fields.js';
import { type ModelCatalog, modelNotFound } from '../../models/model-catalog.js';
import { costFieldsOf, currentMetering } from '../../usage/metering.js';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  conversationOf,
  generationRequestOf,
} from './chat-completion-request.js';
import { chatCompletionChunks, chatCompletionOf } from './chat-completion-response.js';
import { providerChunks, providerCompletionOf } from './provider-completion-response.js';

export function chatCompletionsRouter(deps: {
  answerQuestion: AnswerQuestion;
  generateCompletion: GenerateCompletion;
  catalog: ModelCatalog;
  apiKeys: ApiKeyResolver;
  /** Limits, budgets and the response cache (inbound/metering/http-metering.ts), after the key. */
  meter?: RequestHandler | undefined;
}): Router {
  const router = Router();
  router.use('/v1/chat', requireApiKey(deps.apiKeys));

  router.post(
    '/v1/chat/completions',
    ...(deps.meter ? [deps.meter] : []),
    asyncRoute(async (req, res) => {
      const created = Math.floor(Date.now() / 1000);
      const body = parseBody(chatCompletionRequestSchema, req.body);
      const model = deps.catalog.find(body.model);
      if (model?.generate && model.stream) {
        await providerCompletion(deps.generateCompletion, model, body, res, created);
        return;
      }
      // The whole request is checked before anything runs: no policy check for a question over the limits.
      const { question, history } = conversationOf(body);
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
        // Policy findings and refusals name the messages as the caller sent them.
        messageIndexes: messageIndexesOf(body),
        topK: defaultTopK,
        filters: {},
        model,
        ...(maxTokens ? { maxTokens } : {}),
      });
      res.set(guardrailHeadersOf(answer));
      if (body.stream) writeStream(res, answer, created, body.stream_options?.include_usage === true);
      else res.json(chatCompletionOf(answer, created));
    }),
  );
  return router;
}

/** Starts an SSE response; no buffering proxy (nginx) may hold the chunks back. */
function openEventStream(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
}

function writeStream(res: Response, answer: Answer, created: number, includeUsage: boolean): void {
  openEventStream(res);
  for (const chunk of chatCompletionChunks(answer, created, { includeUsage })) {
    // A client that went away gets no more writes.
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

async function providerCompletion(
  generateCompletion: GenerateCompletion,
  model: ChatModel,
  body: ChatCompletionRequest,
  res: Response,
  created: number,
): Promise<void> {
  const request = generationRequestOf(body, model.descriptor.id);
  const principal = principalOf(res);
  const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  // A client that goes away cancels the upstream call (and its retries).
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const input = {
    requestId: id,
    tenantId: principal.tenantId,
    subject: principal.subject,
    model,
    request,
    signal: abort.signal,
  };
  try {
    if (!body.stream) {
      const completion = await generateCompletion.generate(input);
      res.set(guardrailHeadersOf(completion));
      const response = providerCompletionOf({
        id,
        created,
        model: model.descriptor.id,
        // A routed model: the provider of the deployment that answered.
        provider: completion.generation.servedBy?.provider ?? model.descriptor.provider,
        ...completion,
      });
      res.json({ ...response, keel: { ...response.keel, ...openAiGuardrailFieldsOf(completion) } });
      return;
    }
    const chunks = providerChunks({
      id,
      created,
      model: model.descriptor.id,
      includeUsage: body.stream_options?.include_usage === true,
    });
    const send = (data: object) => {
      if (!res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    const sink: CompletionSink = {
      open(policyStatus) {
        res.set(guardrailHeadersOf({ policyStatus }));
        openEventStream(res);
        send(chunks.role());
      },
      text: (text) => send(chunks.text(text)),
      toolCall: (delta) => send(chunks.toolCall(delta)),
      finish(finishReason, usage, policy, flagged, attempts, servedBy, guardrails = {}) {
        const provider = servedBy?.provider ?? model.descriptor.provider;
        // The cost is known now, after the headers: it travels in the finish chunk (`keel.cost`).
        send(
          chunks.finish(finishReason, {
            provider,
            attempts,
            policy,
            flagged,
            ...costFieldsOf(currentMetering()),
            ...openAiGuardrailFieldsOf(guardrails),
          }),
        );
        if (body.stream_options?.include_usage === true) send(chunks.usage(usage));
        if (!res.destroyed) res.end('data: [DONE]\n\n');
      },
      fail(error) {
        send({ error: { ...error, param: null } });
        if (!res.destroyed) res.end();
      },
      get closed() {
        return res.destroyed || abort.signal.aborted;
      },
    };
    await generateCompletion.stream(input, sink);
  } catch (error) {
    // 429 from the provider: its retry-after goes on to the caller.
    if (isModelCallError(error) && error.retryAfterMs !== undefined && !res.headersSent) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    }
    throw error;
  }
}

/**
 * Where the built-in model's history and question sit in `messages`: the question is the last
 * user message, the history every earlier message but tool results (conversationOf's choice).
 */
function messageIndexesOf(body: ChatCompletionRequest): { conversation: number[]; question: number } {
  const question = body.messages.findLastIndex((message) => message.role === 'user');
  const conversation = body.messages.flatMap((message, index) =>
    index < question && message.role !== 'tool' ? [index] : [],
  );
  return { conversation, question };
}
