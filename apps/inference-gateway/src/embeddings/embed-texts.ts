/**
 * The embed-texts use case behind `POST /v1/embeddings`: validates the inputs against OpenAI's
 * limits, embeds them, and counts their tokens for the usage. The built-in embedder (its `id` is
 * the model name) stays the default; any other name goes to the router (routing/): an embedding
 * model of the routing file, or a model an OpenAI-compatible provider lists, called on the
 * provider's `/v1/embeddings` with the same retries, breakers and fallbacks as chat.
 */

import { isProviderError } from '@keel/models';
import { ErrorCode, GrpcCode, isKeelError, KeelError, type Violation, validationError } from '@keel/platform';
import { countTokensWithin, type Embedder } from '@keel/text';
import { modelCallErrorOf } from '../generation/model-errors.js';
import { modelNotFound } from '../models/model-catalog.js';
import type { ModelRouter } from '../routing/model-router.js';

/** OpenAI's limits per request: inputs per call, and tokens per input (cl100k_base, as it counts). */
export const maxEmbeddingInputs = 2048;
export const maxEmbeddingInputTokens = 8192;

export interface EmbedTextsRequest {
  model: string;
  /** One string is embedded like an array of one; violations then name `input` itself. */
  input: string | readonly string[];
  /** The vector length the caller asks for: the built-in embedder serves only its own; a provider is asked for it. */
  dimensions?: number;
  /** The client went away: the upstream call is cancelled. */
  signal?: AbortSignal;
}

export interface Embeddings {
  model: string;
  /** In input order. */
  vectors: number[][];
  promptTokens: number;
  /** Who answered and how many upstream calls it took (routed models only). */
  servedBy?: { provider: string; model: string };
  attempts?: number;
}

export type EmbedTexts = (request: EmbedTextsRequest) => Promise<Embeddings>;

export function createEmbedTexts(embedder: Embedder, router?: Pick<ModelRouter, 'findEmbedding'>): EmbedTexts {
  return async (request) => {
    const inputs = typeof request.input === 'string' ? [request.input] : [...request.input];
    if (request.model !== embedder.id) {
      const routed = router?.findEmbedding(request.model);
      if (!routed) throw modelNotFound(request.model);
      const tokens = await validate(request, inputs, undefined);
      return embedRouted(routed, request, inputs, tokens);
    }
    const tokens = await validate(request, inputs, embedder);
    const vectors = await embed(embedder, inputs);
    return { model: embedder.id, vectors, promptTokens: tokens.reduce((sum, count) => sum + count, 0) };
  };
}

/**
 * A routed embedding model: failures after the retries and fallbacks are the chat routes'
 * (429 with retry-after, 502, 504); vectors of mixed lengths, or not of the length asked, are the
 * upstream's fault (502). The provider's token count is used when it reports one.
 */
async function embedRouted(
  routed: NonNullable<ReturnType<ModelRouter['findEmbedding']>>,
  request: EmbedTextsRequest,
  inputs: string[],
  tokens: number[],
): Promise<Embeddings> {
  let result: Awaited<ReturnType<typeof routed.embed>>;
  try {
    result = await routed.embed({ input: inputs, dimensions: request.dimensions, signal: request.signal });
  } catch (error) {
    if (isProviderError(error)) throw modelCallErrorOf(error);
    throw error;
  }
  const length = request.dimensions ?? result.vectors[0]?.length ?? 0;
  if (length === 0 || result.vectors.some((vector) => vector.length !== length)) {
    throw embedderFailure(
      new Error(
        `${result.servedBy.provider} returned vectors of mixed lengths, or not ${length} long, for ${routed.id}`,
      ),
    );
  }
  return {
    model: routed.id,
    vectors: result.vectors,
    promptTokens: result.promptTokens || tokens.reduce((sum, count) => sum + count, 0),
    servedBy: result.servedBy,
    attempts: result.attempts,
  };
}

/** Counting yields to other requests this often: a request of 2048 long inputs takes a while. */
const yieldEveryMs = 20;

/**
 * The token count of each input, once every input has been checked. Counting is linear in the
 * text and stops at the limit (token-count.ts), and gives way to other work every few
 * milliseconds, so a large request never holds the event loop for long.
 */
async function validate(
  request: EmbedTextsRequest,
  inputs: string[],
  embedder: Embedder | undefined,
): Promise<number[]> {
  const violations: Violation[] = [];
  const fieldOf = (index: number) => (typeof request.input === 'string' ? 'input' : `input.${index}`);
  if (inputs.length === 0) violations.push({ field: 'input', message: 'must not be empty' });
  if (inputs.length > maxEmbeddingInputs) {
    violations.push({
      field: 'input',
      message: `must have at most ${maxEmbeddingInputs} items (has ${inputs.length})`,
    });
  }
  if (embedder && request.dimensions !== undefined && request.dimensions !== embedder.dimensions) {
    violations.push({
      field: 'dimensions',
      message: `${embedder.id} produces ${embedder.dimensions}-dimensional vectors and cannot shorten them`,
    });
  }
  // Counting tokens of thousands of inputs costs time: only for a request that is otherwise valid.
  if (violations.length > 0) throw validationError(violations);
  const tokens: number[] = [];
  let since = performance.now();
  for (const [index, input] of inputs.entries()) {
    if (performance.now() - since > yieldEveryMs) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
    if (input === '') {
      violations.push({ field: fieldOf(index), message: 'must not be empty' });
      tokens.push(0);
      continue;
    }
    const count = countTokensWithin(input, maxEmbeddingInputTokens);
    if (count.overLimit) {
      violations.push({
        field: fieldOf(index),
        // Counting stopped past the limit: what was counted is a lower bound.
        message: `must be at most ${maxEmbeddingInputTokens} tokens (has at least ${count.tokens})`,
      });
    }
    tokens.push(count.tokens);
  }
  if (violations.length > 0) throw validationError(violations);
  return tokens;
}

/**
 * A remote embedder that cannot answer now is a 503 the caller may retry; one that refuses or
 * answers out of contract is a 502 (our dependency broke, not the caller's request). The caller
 * sees the embedder's error code; the message, which may name internal addresses, is only logged.
 */
async function embed(embedder: Embedder, inputs: string[]): Promise<number[][]> {
  let vectors: number[][];
  try {
    vectors = await embedder.embed(inputs);
  } catch (error) {
    throw embedderFailure(error);
  }
  if (vectors.length !== inputs.length || vectors.some((vector) => vector.length !== embedder.dimensions)) {
    throw embedderFailure(
      new Error(
        `${embedder.id} returned ${vectors.length} vectors for ${inputs.length} inputs, or vectors not ${embedder.dimensions} long`,
      ),
    );
  }
  return vectors;
}

export function embedderFailure(error: unknown): KeelError {
  if (isKeelError(error)) return error;
  const { code, retryable } = (error ?? {}) as { code?: unknown; retryable?: unknown };
  const reason = typeof code === 'string' ? ` (${code})` : '';
  const message = error instanceof Error ? error.message : String(error);
  return retryable === true
    ? new KeelError(`embedder unavailable: ${message}`, {
        code: ErrorCode.unavailable,
        httpStatus: 503,
        grpcCode: GrpcCode.UNAVAILABLE,
        retryable: true,
        detail: `embedder unavailable${reason}`,
        dependency: 'embedder',
        cause: error,
      })
    : new KeelError(`embedder failed: ${message}`, {
        code: ErrorCode.dependencyFailed,
        httpStatus: 502,
        grpcCode: GrpcCode.INTERNAL,
        retryable: false,
        detail: `embedder failed${reason}`,
        dependency: 'embedder',
        cause: error,
      });
}
