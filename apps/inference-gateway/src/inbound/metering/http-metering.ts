/**
 * The metering middleware of the model routes (`POST /v1/chat/completions`, `POST /v1/answers`,
 * `POST /v1/embeddings`),
 * after the API key: rate limits (429 + `retry-after` + `x-ratelimit-*`), then the response cache
 * (chat completions with a provider model, when configured), then the budget reservation; the
 * route runs inside the request's metering context. Every answer of a metered route carries
 * `x-keel-cost: <amount> <currency>` when its cost is known before the headers go out (JSON
 * responses, the built-in model's streams), and `x-keel-cost-priced: false` beside it when the
 * model has no price; a provider stream's cost is in its finish chunk
 * (`keel.cost`), since its headers leave before the first token.
 */
import { randomUUID } from 'node:crypto';
import type { EventPublisher } from '@keel/event-bus';
import { currentTraceId, inActiveContext, type Logger, principalOf } from '@keel/platform';
import type { RequestHandler, Response } from 'express';
import type { InferenceCompletedPayload } from '../../answering/completion-event.js';
import type { CachedCompletion, ResponseCache } from '../../caching/response-cache.js';
import type { ModelCatalog } from '../../models/model-catalog.js';
import { rateLimitHeaders } from '../../tenancy/rate-limiter.js';
import {
  costFieldsOf,
  costHeaderValue,
  LimitRefusal,
  type MeteredRequest,
  type Metering,
  type MeteringContext,
  runMetered,
} from '../../usage/metering.js';
import { captureResponse, serveCached } from './cached-responses.js';

export const costHeader = 'x-keel-cost';
/** Sent with `false` beside `x-keel-cost: 0 …` for a model the price table does not know: not free, unpriced. */
export const costPricedHeader = 'x-keel-cost-priced';
export const cacheHeader = 'x-keel-cache';

/** How long an interrupted response's reservation waits for its completion event before it is released. */
const unfinishedGraceMs = 60_000;

export interface HttpMeteringDeps {
  metering: Metering;
  catalog: ModelCatalog;
  events: Pick<EventPublisher, 'publish'>;
  cache?: ResponseCache | undefined;
  logger: Logger;
  now?: () => number;
}

type Body = Record<string, unknown>;

const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
      .join('\n');
  }
  return '';
};

const numberOr = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;

/** Assumed size of one retrieved passage in a grounded answer's prompt (chunks are smaller). */
const passageTokens = 1024;

/** What `/v1/chat/completions` asks for, read leniently: the route validates the body itself. */
export function describeChatRequest(body: Body, catalog: ModelCatalog): Omit<MeteredRequest, 'principal' | 'endpoint'> {
  const model = typeof body.model === 'string' ? body.model : '';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const builtIn = !catalog.find(model)?.generate;
  return {
    model,
    promptText: () =>
      [
        ...messages.map((message) => (message && typeof message === 'object' ? textOf((message as Body).content) : '')),
        ...(Array.isArray(body.tools) ? [JSON.stringify(body.tools)] : []),
      ].join('\n'),
    // The built-in model answers from retrieved passages (five by default).
    promptAllowance: builtIn ? 5 * passageTokens : 0,
    maxOutputTokens: numberOr(body.max_completion_tokens) ?? numberOr(body.max_tokens),
  };
}

/** What `/v1/answers` asks for. */
export function describeAnswerRequest(
  body: Body,
  catalog: ModelCatalog,
): Omit<MeteredRequest, 'principal' | 'endpoint'> {
  const model = typeof body.model === 'string' ? body.model : catalog.defaultModel.descriptor.id;
  return {
    model,
    promptText: () => (typeof body.question === 'string' ? body.question : ''),
    promptAllowance: (numberOr(body.topK) ?? 5) * passageTokens,
    maxOutputTokens: undefined,
  };
}

/**
 * What `/v1/embeddings` asks for: its inputs are the prompt, and nothing is generated. An array
 * that is not all strings is the route's 400; here it counts what strings it has.
 */
export function describeEmbeddingsRequest(body: Body): Omit<MeteredRequest, 'principal' | 'endpoint'> {
  const model = typeof body.model === 'string' ? body.model : '';
  const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
  return {
    model,
    promptText: () => inputs.filter((input): input is string => typeof input === 'string').join('\n'),
    promptAllowance: 0,
    maxOutputTokens: 0,
  };
}

export type MeteredEndpoint = '/v1/chat/completions' | '/v1/answers' | '/v1/embeddings';

const describers: Record<
  MeteredEndpoint,
  (body: Body, catalog: ModelCatalog) => Omit<MeteredRequest, 'principal' | 'endpoint'>
> = {
  '/v1/chat/completions': describeChatRequest,
  '/v1/answers': describeAnswerRequest,
  '/v1/embeddings': describeEmbeddingsRequest,
};

export function meterRequests(deps: HttpMeteringDeps, endpoint: MeteredEndpoint): RequestHandler {
  const now = deps.now ?? Date.now;
  const describe = describers[endpoint];

  async function admitted(body: Body, res: Response): Promise<{ context: MeteringContext; request: MeteredRequest }> {
    const request: MeteredRequest = { ...describe(body, deps.catalog), principal: principalOf(res), endpoint };
    try {
      return { context: await deps.metering.admit(request), request };
    } catch (error) {
      if (error instanceof LimitRefusal) {
        res.set(error.headers);
        throw error.error;
      }
      throw error;
    }
  }

  return (req, res, next) => {
    const body: Body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
    (async () => {
      const { context, request } = await admitted(body, res);
      res.set(rateLimitHeaders(context.rateLimits));
      let cacheStatus: 'hit' | 'miss' | undefined;
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
      res.writeHead = ((...args: unknown[]) => {
        if (context.cost && !res.hasHeader(costHeader)) {
          res.setHeader(costHeader, costHeaderValue(context.cost));
          if (!context.cost.priced) res.setHeader(costPricedHeader, 'false');
        }
        if (cacheStatus && !res.hasHeader(cacheHeader)) res.setHeader(cacheHeader, cacheStatus);
        return writeHead(...args);
      }) as Response['writeHead'];
      res.on(
        'close',
        inActiveContext(() => {
          if (context.settled) return;
          // A finished response publishes its event before its end: none is coming. An interrupted
          // one (the client left) still gets its event from the use case, which settles the cost.
          const release = () => void deps.metering.abandon(context);
          if (res.writableFinished) release();
          else setTimeout(release, unfinishedGraceMs).unref();
        }),
      );

      const cache = deps.cache;
      const model = deps.catalog.find(request.model);
      if (cache && endpoint === '/v1/chat/completions' && model?.generate) {
        const key = cache.keyOf(context.tenantId, request.model, body);
        const entry = await cache.get(context.tenantId, key).catch((error: unknown) => {
          deps.logger.warn({ err: error }, 'response cache lookup failed; calling the model');
          return null;
        });
        if (entry) {
          cacheStatus = 'hit';
          context.cacheHit = true;
          const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
          await runMetered(context, () => publishHit(deps, { entry, body, res, requestId: id, now }));
          const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
          serveCached({
            res,
            entry,
            id,
            created: Math.floor(now() / 1000),
            stream: body.stream === true,
            includeUsage: streamOptions?.include_usage === true,
            cost: costFieldsOf(context),
          });
          return;
        }
        cacheStatus = 'miss';
        captureResponse({
          res,
          cache,
          tenantId: context.tenantId,
          model: request.model,
          key,
          recordedUsage: () => context.usage,
          now,
          logger: deps.logger,
        });
      }

      try {
        await deps.metering.reserve(context, request, randomUUID());
      } catch (error) {
        if (error instanceof LimitRefusal) {
          res.set(error.headers);
          throw error.error;
        }
        throw error;
      }
      runMetered(context, next);
    })().catch(next);
  };
}

async function publishHit(
  deps: HttpMeteringDeps,
  hit: { entry: CachedCompletion; body: Body; res: Response; requestId: string; now: () => number },
): Promise<void> {
  const { entry, body, res, requestId, now } = hit;
  const principal = principalOf(res);
  const messages = Array.isArray(body.messages) ? (body.messages as Body[]) : [];
  const question = textOf([...messages].reverse().find((message) => message?.role === 'user')?.content);
  const payload: InferenceCompletedPayload = {
    requestId,
    traceId: currentTraceId() ?? '',
    tenantId: principal.tenantId,
    endpoint: '/v1/chat/completions',
    operation: 'chat',
    model: entry.model,
    requestedModel: typeof body.model === 'string' ? body.model : entry.model,
    provider: entry.provider,
    usage: {
      promptTokens: entry.usage.promptTokens,
      completionTokens: entry.usage.completionTokens,
      totalTokens: entry.usage.promptTokens + entry.usage.completionTokens,
      costUsd: 0,
    },
    latencyMs: 0,
    question,
    answer: entry.content ?? '',
    contexts: [],
    citations: [],
    policy: [],
    completedAt: new Date(now()),
    readRequires: [],
    subject: principal.subject,
    attempts: 0,
    streamed: body.stream === true,
  };
  try {
    await deps.events.publish('keel.inference.completed.v1', payload, { idempotencyKey: requestId });
  } catch (error) {
    deps.logger.error({ err: error, request_id: requestId }, 'keel.inference.completed.v1 could not be published');
  }
}
