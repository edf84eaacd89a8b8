/**
 * The Reranker over HTTP, in the shape most rerank servers share:
 * - `cohere` (Cohere `/v2/rerank`, Jina `/v1/rerank`, vLLM, Infinity, ...): `POST {model, query,
 *   documents, top_n}` → `{ results: [{ index, relevance_score }] }`;
 * - `tei` (Hugging Face text-embeddings-inference `/rerank`): `POST {query, texts}` →
 *   `[{ index, score }]`.
 * Either response shape is accepted from either API. One attempt, bounded by a timeout: a search
 * waiting on a reranker is better served by falling back to retrieval's order (rerank-hits.ts)
 * than by retrying.
 */
import { type Reranker, RerankerError } from '../reranking/reranker.js';

export type RerankApi = 'cohere' | 'tei';

export interface HttpRerankerOptions {
  /** The full endpoint, e.g. `http://tei:8080/rerank` or `https://api.cohere.com/v2/rerank`. */
  url: string;
  api: RerankApi;
  /** Required by Cohere and Jina; TEI serves one model and ignores it. */
  model?: string;
  apiKey?: string;
  timeoutMs: number;
}

/** Bounds what a misbehaving endpoint can make us read. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function createHttpReranker(options: HttpRerankerOptions): Reranker {
  const id = options.model ? `${options.api}:${options.model}` : `${options.api}:${new URL(options.url).host}`;
  return {
    id,
    async rerank(query, documents) {
      if (documents.length === 0) return [];
      const payload = await post(options, requestBody(options, query, documents));
      return scoresFrom(payload, documents.length, options.url);
    },
  };
}

function requestBody(options: HttpRerankerOptions, query: string, documents: readonly string[]): object {
  if (options.api === 'tei') return { query, texts: documents, raw_scores: false, truncate: true };
  return {
    ...(options.model ? { model: options.model } : {}),
    query,
    documents,
    top_n: documents.length,
    return_documents: false,
  };
}

async function post(options: HttpRerankerOptions, body: object): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await readBounded(response);
  } catch (cause) {
    if (cause instanceof RerankerError) throw cause;
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    throw new RerankerError(
      timedOut
        ? `rerank request to ${options.url} timed out after ${options.timeoutMs} ms`
        : `rerank request to ${options.url} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { retryable: true, cause },
    );
  }
  if (!response.ok) {
    throw new RerankerError(
      `rerank request to ${options.url} failed with HTTP ${response.status}: ${errorMessage(text)}`,
      { retryable: response.status === 429 || response.status >= 500 },
    );
  }
  return text;
}

async function readBounded(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new RerankerError(`rerank response of ${declared} bytes is over ${MAX_RESPONSE_BYTES}`, { retryable: false });
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) {
    throw new RerankerError(`rerank response is over ${MAX_RESPONSE_BYTES} characters`, { retryable: false });
  }
  return text;
}

interface ResultItem {
  index?: unknown;
  relevance_score?: unknown;
  score?: unknown;
}

/** One score per document from either shape; every document must be scored exactly once. */
function scoresFrom(payload: string, expected: number, url: string): number[] {
  const invalid = (why: string) => new RerankerError(`rerank response from ${url} ${why}`, { retryable: false });
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw invalid('is not JSON');
  }
  const items: unknown = Array.isArray(parsed) ? parsed : (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(items)) throw invalid('has neither a results list nor a list of scores');
  const scores = new Array<number | undefined>(expected).fill(undefined);
  for (const item of items as ResultItem[]) {
    const index = item?.index;
    const score = item?.relevance_score ?? item?.score;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= expected) {
      throw invalid(`has an index ${String(index)} outside the ${expected} documents sent`);
    }
    if (scores[index] !== undefined) throw invalid(`scores document ${index} twice`);
    if (typeof score !== 'number' || !Number.isFinite(score))
      throw invalid(`has no numeric score for document ${index}`);
    scores[index] = score;
  }
  const missing = scores.indexOf(undefined);
  if (missing >= 0) throw invalid(`scores ${items.length} of ${expected} documents (document ${missing} missing)`);
  return scores as number[];
}

function errorMessage(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (message) return message.slice(0, 300);
  } catch {
    // Not JSON: the raw text.
  }
  return payload.slice(0, 300) || '(empty body)';
}
