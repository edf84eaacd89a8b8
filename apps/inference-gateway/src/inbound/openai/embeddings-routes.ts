/**
 * `POST /v1/embeddings`, OpenAI-compatible: `{ input, model, encoding_format?, dimensions? }` →
 * `{ object: 'list', data: [{ object: 'embedding', index, embedding }], model, usage }`. With
 * `encoding_format: 'base64'` each embedding is its float32 values, little-endian, in base64, as
 * OpenAI sends them (the official SDKs ask for that by default and decode it). Metered as chat is
 * (rate limits, budgets, the ledger, `x-keel-cost`) and recorded by `keel.inference.completed.v1`
 * (embeddings/recorded-embed-texts.ts).
 */
import { randomUUID } from 'node:crypto';
import { type ApiKeyResolver, asyncRoute, parseBody, principalOf, requireApiKey, z } from '@keel/platform';
import { type RequestHandler, Router } from 'express';
import { maxModelNameLength, maxNameLength } from '../../answering/answer-limits.js';
import type { Embeddings } from '../../embeddings/embed-texts.js';
import type { RecordedEmbedTexts } from '../../embeddings/recorded-embed-texts.js';
import { isModelCallError } from '../../generation/model-errors.js';

/** The widest vector any embedder here may declare (EMBEDDINGS_DIMENSIONS is at most this too). */
export const maxEmbeddingDimensions = 65_536;

// Unknown fields (`user`, new ones) are tolerated, as OpenAI's SDKs add them before servers know them.
export const embeddingsRequestSchema = z.looseObject({
  // Counts and token lengths are checked by embed-texts.ts (2048 inputs of 8192 tokens).
  input: z.union([z.string(), z.array(z.string())], {
    error: 'must be a string or an array of strings (token arrays are not supported)',
  }),
  model: z.string().min(1).max(maxModelNameLength, `must be at most ${maxModelNameLength} characters`),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().min(1).max(maxEmbeddingDimensions).nullish(),
  user: z.string().max(maxNameLength, `must be at most ${maxNameLength} characters`).optional(),
});

/** Float32, little-endian, whatever the machine's byte order: what OpenAI's clients decode. */
export function base64Float32(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString('base64');
}

export function embeddingsRouter(deps: {
  embedTexts: RecordedEmbedTexts;
  apiKeys: ApiKeyResolver;
  /** Limits and budgets (inbound/metering/http-metering.ts), after the key. */
  meter?: RequestHandler | undefined;
}): Router {
  const router = Router();
  router.post(
    '/v1/embeddings',
    requireApiKey(deps.apiKeys),
    ...(deps.meter ? [deps.meter] : []),
    asyncRoute(async (req, res) => {
      const body = parseBody(embeddingsRequestSchema, req.body);
      // A client that goes away cancels the upstream call (and its retries).
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const principal = principalOf(res);
      let result: Embeddings;
      try {
        result = await deps.embedTexts(
          {
            model: body.model,
            input: body.input,
            ...(body.dimensions != null ? { dimensions: body.dimensions } : {}),
            signal: abort.signal,
          },
          {
            requestId: `embd-${randomUUID().replace(/-/g, '')}`,
            tenantId: principal.tenantId,
            subject: principal.subject,
          },
        );
      } catch (error) {
        // 429 from the provider after the fallbacks: its retry-after goes on to the caller.
        if (isModelCallError(error) && error.retryAfterMs !== undefined) {
          res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
        }
        throw error;
      }
      const encode = body.encoding_format === 'base64' ? base64Float32 : (vector: number[]) => vector;
      res.json({
        object: 'list',
        data: result.vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
        model: result.model,
        usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
      });
    }),
  );
  return router;
}
