import type { Embedder } from '../embedder.js';
import { TextError, TextErrorCode } from '../errors.js';

export interface OpenAiCompatibleEmbedderOptions {
  /** Up to and including the version segment: `https://api.openai.com/v1`, `http://tei:8080/v1`. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** The vector length the model returns; every response is checked against it. */
  dimensions: number;
  /** Inputs per request (default 64). */
  batchSize?: number;
  /** Per request, including reading the body (default 30 s). */
  timeoutMs?: number;
  /** Extra attempts after a 408, 429, 5xx, timeout or network error (default 2). */
  maxRetries?: number;
  /**
   * Send `dimensions` in the request, asking the model to shorten its vectors (OpenAI's
   * text-embedding-3 models). Off by default: TEI, vLLM and Ollama reject unknown fields or
   * models that cannot shorten.
   */
  requestDimensions?: boolean;
}

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: unknown }[];
}

const retryableStatuses = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const maxBackoffMs = 5_000;

/**
 * An Embedder over any OpenAI-compatible `POST /embeddings` (OpenAI, TEI, vLLM, Ollama,
 * LiteLLM...). Batches inputs, keeps their order (by each item's `index`), retries transient
 * failures with backoff (honouring `Retry-After`), and raises `TextError`s whose `retryable`
 * tells the caller whether trying again later can help.
 */
export function createOpenAiCompatibleEmbedder(options: OpenAiCompatibleEmbedderOptions): Embedder {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(options.dimensions) || options.dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${options.dimensions}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const request: BatchRequest = {
    url,
    model: options.model,
    dimensions: options.dimensions,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 2,
    requestDimensions: options.requestDimensions ?? false,
  };
  return {
    id: `openai-compatible:${options.model}:${options.dimensions}`,
    dimensions: options.dimensions,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        vectors.push(...(await embedBatchWithRetries(request, texts.slice(start, start + batchSize))));
      }
      return vectors;
    },
  };
}

interface BatchRequest {
  url: string;
  model: string;
  dimensions: number;
  apiKey: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  requestDimensions: boolean;
}

async function embedBatchWithRetries(request: BatchRequest, inputs: string[]): Promise<number[][]> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await embedBatch(request, inputs);
    } catch (error) {
      if (!(error instanceof TransientFailure) || attempt >= request.maxRetries) {
        throw error instanceof TransientFailure ? error.final : error;
      }
      const backoff = error.retryAfterMs ?? 250 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, Math.min(backoff, maxBackoffMs)));
    }
  }
}

/** A failure worth another attempt; `final` is what the caller sees if none is left. */
class TransientFailure extends Error {
  constructor(
    readonly final: TextError,
    readonly retryAfterMs?: number,
  ) {
    super(final.message);
  }
}

async function embedBatch(request: BatchRequest, inputs: string[]): Promise<number[][]> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  const body = {
    model: request.model,
    // OpenAI rejects empty strings; a single space embeds as "no content" everywhere.
    input: inputs.map((input) => (input === '' ? ' ' : input)),
    encoding_format: 'float',
    ...(request.requestDimensions ? { dimensions: request.dimensions } : {}),
  };
  let response: Response;
  let payload: string;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    payload = await response.text();
  } catch (cause) {
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    const final = timedOut
      ? new TextError(
          TextErrorCode.EmbeddingTimeout,
          `embedding request to ${request.url} timed out after ${request.timeoutMs} ms`,
          { retryable: true, cause },
        )
      : new TextError(
          TextErrorCode.EmbeddingRequestFailed,
          `embedding request to ${request.url} failed: ${describe(cause)}`,
          { retryable: true, cause },
        );
    throw new TransientFailure(final);
  }
  if (!response.ok) {
    const message = `embedding request to ${request.url} failed with HTTP ${response.status}: ${errorMessage(payload)}`;
    if (retryableStatuses.has(response.status)) {
      const final = new TextError(TextErrorCode.EmbeddingRequestFailed, message, { retryable: true });
      throw new TransientFailure(final, retryAfterMs(response.headers.get('retry-after')));
    }
    throw new TextError(TextErrorCode.EmbeddingRequestFailed, message, { retryable: false });
  }
  return vectorsFrom(payload, inputs.length, request);
}

function vectorsFrom(payload: string, expected: number, request: BatchRequest): number[][] {
  const invalid = (why: string) =>
    new TextError(TextErrorCode.EmbeddingInvalidResponse, `embedding response from ${request.url} ${why}`);
  let parsed: EmbeddingsResponse;
  try {
    parsed = JSON.parse(payload) as EmbeddingsResponse;
  } catch {
    throw invalid('is not JSON');
  }
  const data = parsed.data;
  if (!Array.isArray(data) || data.length !== expected) {
    throw invalid(`has ${Array.isArray(data) ? data.length : 'no'} embeddings for ${expected} inputs`);
  }
  const vectors = new Array<number[]>(expected);
  data.forEach((item, position) => {
    const index = item.index ?? position;
    const embedding = item.embedding;
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index]) {
      throw invalid(`has a missing or repeated index ${index}`);
    }
    if (!Array.isArray(embedding) || embedding.length !== request.dimensions) {
      throw invalid(
        `has a vector of ${Array.isArray(embedding) ? embedding.length : 'no'} dimensions; ${request.model} was configured with ${request.dimensions}`,
      );
    }
    if (!embedding.every((value) => typeof value === 'number' && Number.isFinite(value))) {
      throw invalid('has a vector with non-numeric values');
    }
    vectors[index] = embedding as number[];
  });
  return vectors;
}

function errorMessage(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (message) return message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return payload.slice(0, 300) || '(empty body)';
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
