/**
 * The ChatModel port. Retrieved context travels as structured data rather than pre-rendered
 * prompt text: a provider adapter renders it into its prompt format, while the embedded
 * extractive model quotes from it directly.
 *
 * Two ways to call a model:
 *  - `complete(ChatRequest)`: a grounded answer from numbered contexts (`/v1/answers`, gRPC
 *    `Answer`, the built-in RAG model of chat completions). Every model implements it.
 *  - `generate` / `stream` (`GenerationRequest`): a plain chat completion passed through to a
 *    provider (`/v1/chat/completions` with a provider model): tools, tool_choice,
 *    response_format, sampling settings and stop sequences included. Provider adapters implement
 *    them; the embedded extractive model does not.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GroundingContext {
  /** The citation marker the answer uses for this context: [1], [2], ... */
  marker: number;
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  contexts: GroundingContext[];
  maxTokens?: number;
  temperature?: number;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the provider's prompt cache, when it reports them. */
  cachedTokens?: number;
  /** Completion tokens spent on hidden reasoning, when the provider reports them. */
  reasoningTokens?: number;
  /** Prompt tokens written to the provider's cache (Anthropic's `cache_creation_input_tokens`). */
  cacheWriteTokens?: number;
}

/** A verbatim passage of one context that an answer quotes. */
export interface ChatQuote {
  marker: number;
  text: string;
  /** UTF-16 offsets of `text` within the context's text. */
  start: number;
  end: number;
}

/** Which provider and which of its models answered (a router may try several). */
export interface ServedBy {
  provider: string;
  model: string;
}

export interface ChatResponse {
  content: string;
  /** The markers of the contexts the answer cites, in order of first use. */
  citedMarkers: number[];
  /**
   * The passages the answer quotes, when the model can say so exactly (the extractive model
   * can; a generative provider usually cannot and leaves this out).
   */
  quotes?: ChatQuote[];
  usage: ChatUsage;
  finishReason: 'stop' | 'length' | 'content_filter';
  /** Upstream attempts the answer took (retries included); 1 when absent. */
  attempts?: number;
  /** Set by a router: the deployment that answered (else the model's own descriptor). */
  servedBy?: ServedBy;
}

export interface ModelDescriptor {
  id: string;
  provider: string;
  ownedBy: string;
}

// ---- pass-through chat completions (OpenAI's shapes, camel-cased where Keel reads them) ----

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** `auto` | `none` | `required`, or one named function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type GenerationMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[]; name?: string }
  | { role: 'tool'; content: string; toolCallId: string };

export interface GenerationRequest {
  /** The model's id as the provider knows it. */
  model: string;
  messages: GenerationMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** OpenAI's `response_format` (`{type: 'json_object'}`, `{type: 'json_schema', json_schema}`), passed through. */
  responseFormat?: Record<string, unknown>;
  temperature?: number;
  topP?: number;
  stop?: string[];
  maxTokens?: number;
  /** Sent as OpenAI's `max_completion_tokens` (what its reasoning models require) rather than `max_tokens`. */
  maxCompletionTokens?: number;
  /** OpenAI's `user`, passed through where the provider has an equivalent. */
  user?: string;
  /**
   * Further OpenAI parameters (`seed`, `presence_penalty`, `frequency_penalty`, `logit_bias`,
   * `parallel_tool_calls`, `reasoning_effort`...), sent as they are by OpenAI-compatible adapters
   * and ignored by others.
   */
  extra?: Record<string, unknown>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Generation {
  /** The provider's response id, when it sent one. */
  id?: string;
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: ChatUsage;
  /** Upstream attempts (retries included); set by the retrying wrapper. */
  attempts?: number;
  /** Set by a router: the deployment that answered (else the model's own descriptor). */
  servedBy?: ServedBy;
}

/**
 * One event of a streamed generation, in order: deltas of text and of tool calls (a tool call's
 * first delta carries its id and name, later ones pieces of its arguments), then exactly one
 * `finish`, then `usage` when the provider reported it.
 */
export type GenerationEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'finish'; finishReason: FinishReason }
  | { type: 'usage'; usage: ChatUsage };

export interface CallOptions {
  /** Aborts the call (the client went away, or a deadline passed). */
  signal?: AbortSignal;
  /** Per-attempt timeout: no response (for a stream: no first event, or no chunk for this long) → `timeout`. */
  timeoutMs?: number;
}

/** A stream of events; `attempts` is known once the first event has been read (retries happen before it). */
export interface GenerationStream extends AsyncIterable<GenerationEvent> {
  readonly attempts: number;
  /** Set by a router once the first event has been read: the deployment that streams. */
  readonly servedBy?: ServedBy | undefined;
}

export interface ChatModel {
  readonly descriptor: ModelDescriptor;
  complete(request: ChatRequest, options?: CallOptions): Promise<ChatResponse>;
  /** A pass-through chat completion; absent on models that only answer from contexts (the extractive model). */
  generate?(request: GenerationRequest, options?: CallOptions): Promise<Generation>;
  /** The same, streamed. */
  stream?(request: GenerationRequest, options?: CallOptions): GenerationStream;
}

// ---- typed provider errors ----

export type ProviderErrorKind =
  /** 429: retryable after `retryAfterMs` when the provider said. */
  | 'rate_limited'
  /** 5xx (and 408/409 that providers use for overload): retryable. */
  | 'upstream_error'
  /** No (first) byte within the per-attempt timeout: retryable. */
  | 'timeout'
  /** Connection refused or reset before a response: retryable. */
  | 'connection_failed'
  /** The connection dropped in the middle of a streamed or JSON body. Retryable only if nothing was released yet. */
  | 'stream_interrupted'
  /** A body that is not the wire format (garbage, truncated JSON, missing fields): not retryable. */
  | 'malformed_response'
  /** A router found every endpoint of the model behind an open circuit breaker: nothing was called. */
  | 'circuit_open'
  /** 4xx other than 429: the request itself is refused (bad key, unknown model, bad parameter): not retryable. */
  | 'rejected'
  /** The caller aborted. */
  | 'aborted';

/**
 * A failure of a provider call. The message names the provider and what happened, never a secret
 * (adapters do not put request headers or keys in it, and scrub upstream bodies of their key).
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly retryable: boolean;
  /** The upstream HTTP status, when there was one. */
  readonly status: number | undefined;
  /** What the provider asked to wait (`retry-after`, `retry-after-ms`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Attempts made before giving up; set by the retrying wrapper. */
  attempts: number;

  constructor(
    kind: ProviderErrorKind,
    provider: string,
    message: string,
    options: { status?: number; retryAfterMs?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.provider = provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable = options.retryable ?? defaultRetryable[kind];
    this.attempts = 1;
  }
}

const defaultRetryable: Record<ProviderErrorKind, boolean> = {
  rate_limited: true,
  upstream_error: true,
  timeout: true,
  connection_failed: true,
  stream_interrupted: true,
  malformed_response: false,
  circuit_open: false,
  rejected: false,
  aborted: false,
};

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
