/**
 * What both HTTP adapters share: one attempt of a JSON or SSE call over node:http(s) with
 * keep-alive agents, a timeout until the first byte (and between streamed chunks), and the
 * translation of every failure into a typed ProviderError. Secrets never reach an error: messages
 * name the provider, the status and at most a short, scrubbed excerpt of the upstream body.
 *
 * Not `fetch`: its WHATWG streams and request/response objects cost about 0.5 ms of CPU per call
 * more than node:http on a gateway's path (0.73-1.1 against 0.29-0.50 ms per call, client and a
 * local server in one process, measured while tuning bench/gateway-overhead.ts), which is much of
 * what a gateway may add. The connection pools are per process and unbounded per origin (as
 * fetch's); idle sockets are kept for reuse.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ProviderError } from '../chat-model.js';

const agents = {
  http: new HttpAgent({ keepAlive: true, scheduling: 'lifo' }),
  https: new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }),
};

/** What is read of a response's headers (a WHATWG `Headers` is one). */
export interface HeaderLookup {
  get(name: string): string | null;
}

export interface HttpAttempt {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  method?: 'GET' | 'POST';
  /** No response headers (and, for streams, no first chunk) within this: `timeout`. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Strings to scrub from any upstream text that reaches an error (the API key). */
  secrets: readonly string[];
}

const excerptLength = 200;

export function scrub(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret) clean = clean.split(secret).join('[redacted]');
  return clean.replace(/\s+/g, ' ').trim().slice(0, excerptLength);
}

/** `retry-after-ms`, `retry-after` (seconds or an HTTP date), in milliseconds. */
export function retryAfterOf(headers: HeaderLookup, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A deadline that can be pushed back (between streamed chunks) and that says whether it fired. */
class Deadline {
  readonly controller = new AbortController();
  timedOut = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.controller.abort();

  constructor(
    private readonly timeoutMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener('abort', this.onAbort, { once: true });
    this.reset();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}

function failureOf(error: unknown, attempt: HttpAttempt, deadline: Deadline, phase: 'connect' | 'body'): ProviderError {
  if (error instanceof ProviderError) return error;
  if (deadline.timedOut) {
    return new ProviderError(
      'timeout',
      attempt.provider,
      phase === 'connect'
        ? `no response within ${attempt.timeoutMs} ms`
        : `no data for ${attempt.timeoutMs} ms in the middle of the response`,
      { cause: error },
    );
  }
  if (attempt.signal?.aborted) return new ProviderError('aborted', attempt.provider, 'the call was cancelled');
  const reason = scrub(error instanceof Error ? codeOf(error) : String(error), attempt.secrets);
  return phase === 'connect'
    ? new ProviderError('connection_failed', attempt.provider, `could not reach the provider (${reason})`)
    : new ProviderError('stream_interrupted', attempt.provider, `the connection dropped mid-response (${reason})`);
}

function codeOf(error: Error): string {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? (error as { code?: string }).code ?? cause?.message ?? error.message;
}

/** An upstream response: its status, headers and body (read once, as text or as chunks). */
interface UpstreamResponse {
  status: number;
  ok: boolean;
  headers: HeaderLookup;
  body: IncomingMessage;
  text(): Promise<string>;
}

function headersOf(message: IncomingMessage): HeaderLookup {
  return {
    get(name) {
      const value = message.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

async function textOf(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends the request; resolves with the response once its headers arrived. */
function send(attempt: HttpAttempt, signal: AbortSignal, accept: string): Promise<UpstreamResponse> {
  const url = new URL(attempt.url);
  const secure = url.protocol === 'https:';
  const payload = attempt.body === undefined ? undefined : Buffer.from(JSON.stringify(attempt.body));
  const headers: Record<string, string | number> = {
    accept,
    ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
    ...attempt.headers,
  };
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: attempt.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers,
        agent: secure ? agents.https : agents.http,
        signal,
      },
      (message) => {
        // A body aborted while nobody reads it must not crash the process; readers see the error.
        message.on('error', () => {});
        const status = message.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: headersOf(message),
          body: message,
          text: () => textOf(message),
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

async function open(attempt: HttpAttempt, deadline: Deadline, accept: string): Promise<UpstreamResponse> {
  let response: UpstreamResponse;
  try {
    response = await send(attempt, deadline.controller.signal, accept);
  } catch (error) {
    throw failureOf(error, attempt, deadline, 'connect');
  }
  if (!response.ok) {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // The status says enough.
    }
    throw statusError(attempt, response, text);
  }
  return response;
}

function statusError(attempt: HttpAttempt, response: UpstreamResponse, body: string): ProviderError {
  const detail = upstreamMessageOf(body, attempt.secrets);
  const message = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
  const retryAfterMs = retryAfterOf(response.headers);
  const options = { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (response.status === 429) return new ProviderError('rate_limited', attempt.provider, message, options);
  // 408 (timeout), 409 (OpenAI's lock conflicts) and 529 (Anthropic: overloaded) are worth another try.
  if (response.status >= 500 || response.status === 408 || response.status === 409) {
    return new ProviderError('upstream_error', attempt.provider, message, options);
  }
  return new ProviderError('rejected', attempt.provider, message, options);
}

/** The upstream's own error message (`{error: {message}}`), else a scrubbed excerpt of the body. */
function upstreamMessageOf(body: string, secrets: readonly string[]): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : undefined;
    if (message) return scrub(message, secrets);
  } catch {
    // Not JSON: an excerpt.
  }
  return scrub(body, secrets);
}

/** One JSON call: the parsed body, or a ProviderError. */
export async function requestJson(attempt: HttpAttempt): Promise<unknown> {
  const deadline = new Deadline(attempt.timeoutMs, attempt.signal);
  try {
    const response = await open(attempt, deadline, 'application/json');
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw failureOf(error, attempt, deadline, 'body');
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderError(
        'malformed_response',
        attempt.provider,
        `the response is not JSON (${scrub(text, attempt.secrets) || 'empty body'})`,
        { status: response.status },
      );
    }
  } finally {
    deadline.clear();
  }
}

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * One streamed call: the server-sent events of the body. The timeout covers the wait for the
 * response and for the first event, then every gap between chunks. The caller decides whether
 * the stream ended properly (a final `[DONE]` or `message_stop`).
 */
export async function* requestSse(attempt: HttpAttempt): AsyncGenerator<SseEvent> {
  const deadline = new Deadline(attempt.timeoutMs, attempt.signal);
  try {
    const response = await open(attempt, deadline, 'text/event-stream');
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream')) {
      const text = await response.text().catch(() => '');
      throw new ProviderError(
        'malformed_response',
        attempt.provider,
        `expected a stream of server-sent events, got ${type || 'no content type'} (${scrub(text, attempt.secrets)})`,
        { status: response.status },
      );
    }
    const decoder = new TextDecoder();
    let buffer = '';
    const chunks = response.body[Symbol.asyncIterator]();
    try {
      while (true) {
        let chunk: IteratorResult<Buffer>;
        try {
          chunk = await chunks.next();
        } catch (error) {
          throw failureOf(error, attempt, deadline, 'body');
        }
        if (chunk.done) break;
        deadline.reset();
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = sseEventOf(block);
          if (event) yield event;
          end = buffer.indexOf('\n\n');
        }
      }
      const rest = sseEventOf(buffer + decoder.decode());
      if (rest) yield rest;
    } finally {
      // Left early (the caller stopped reading): drop the connection rather than drain it.
      if (!response.body.complete) response.body.destroy();
    }
  } finally {
    deadline.clear();
  }
}

function sseEventOf(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}

export function parseJsonEvent(event: SseEvent, provider: string, secrets: readonly string[]): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new ProviderError(
      'malformed_response',
      provider,
      `a streamed event is not JSON (${scrub(event.data, secrets)})`,
    );
  }
}

/** A count a provider reports (tokens, an index): a finite non-negative number, else 0. */
export const nonNegativeCount = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function malformed(provider: string, what: string): ProviderError {
  return new ProviderError('malformed_response', provider, what);
}
