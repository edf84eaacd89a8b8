/**
 * Retries of retryable provider failures around any ChatModel: jittered exponential backoff that
 * honours the provider's `retry-after`, a per-attempt timeout and a total timeout over all
 * attempts and waits. A stream is retried only until its first event: once something could have
 * been released to a client, a failure ends the stream instead (no replayed or duplicated text).
 */
import {
  type CallOptions,
  type ChatModel,
  type ChatRequest,
  type ChatResponse,
  type Generation,
  type GenerationEvent,
  type GenerationRequest,
  type GenerationStream,
  ProviderError,
} from '../chat-model.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  /** The first backoff's ceiling; each retry doubles it (full jitter: a random wait up to the ceiling). */
  baseDelayMs: number;
  /** The largest backoff ceiling. */
  maxDelayMs: number;
  /** Per attempt: no response, or for a stream no first event, within this → timeout (retryable). */
  attemptTimeoutMs: number;
  /** All attempts and waits together; a `retry-after` longer than what is left is not waited for. */
  totalTimeoutMs: number;
  /** Wait at least what the provider asked (`retry-after`); default true. */
  honourRetryAfter?: boolean;
  /** For tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface RetryCall {
  signal?: AbortSignal | undefined;
  /** An outer deadline (epoch ms, as `now` counts) that cuts the policy's own total timeout short. */
  deadline?: number;
  /** Told about every failed attempt, before the decision to retry (a circuit breaker counts them). */
  onFailure?: (error: ProviderError) => void;
}

/**
 * Runs attempts of one call until one succeeds, a failure is not retryable, or time or attempts
 * run out. The thrown ProviderError carries the attempts made.
 */
export async function callWithRetries<T>(
  run: (options: CallOptions) => Promise<T>,
  policy: RetryPolicy,
  call: RetryCall = {},
): Promise<{ value: T; attempts: number }> {
  const random = policy.random ?? Math.random;
  const sleep = policy.sleep ?? defaultSleep;
  const now = policy.now ?? Date.now;
  const own = now() + policy.totalTimeoutMs;
  const deadline = call.deadline === undefined ? own : Math.min(own, call.deadline);
  for (let attempts = 1; ; attempts++) {
    const left = deadline - now();
    try {
      const value = await run({
        ...(call.signal ? { signal: call.signal } : {}),
        timeoutMs: Math.max(1, Math.min(policy.attemptTimeoutMs, left)),
      });
      return { value, attempts };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      error.attempts = attempts;
      call.onFailure?.(error);
      if (!error.retryable || attempts >= policy.maxAttempts || call.signal?.aborted) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
      const asked = policy.honourRetryAfter === false ? 0 : (error.retryAfterMs ?? 0);
      const wait = Math.max(asked, random() * ceiling);
      // Waiting past the total timeout would only end in a timeout: give the caller the real reason now.
      if (now() + wait >= deadline) throw error;
      await sleep(wait, call.signal);
      if (call.signal?.aborted) throw error;
    }
  }
}

/** A stream's failure after its first event: bytes may have reached the client, so never retried. */
export function finalStreamError(error: ProviderError, attempts: number): ProviderError {
  const final = new ProviderError(error.kind, error.provider, error.message.replace(`${error.provider}: `, ''), {
    ...(error.status === undefined ? {} : { status: error.status }),
    retryable: false,
    cause: error,
  });
  final.attempts = attempts;
  return final;
}

/** A stream whose first event has arrived (opened by a retrying or routing caller). */
export interface OpenedStream {
  iterator: AsyncIterator<GenerationEvent>;
  first: IteratorResult<GenerationEvent>;
}

/**
 * The events of an opened stream, its first included. A provider failure from here on becomes a
 * finalStreamError (never retried); `onProviderError` sees it first (a router counts it against
 * the endpoint).
 */
export async function* relayOpenedStream(
  opened: OpenedStream,
  attempts: number,
  onProviderError?: (error: ProviderError) => void,
): AsyncGenerator<GenerationEvent> {
  if (opened.first.done) return;
  yield opened.first.value;
  while (true) {
    let next: IteratorResult<GenerationEvent>;
    try {
      next = await opened.iterator.next();
    } catch (error) {
      if (error instanceof ProviderError) {
        onProviderError?.(error);
        throw finalStreamError(error, attempts);
      }
      throw error;
    }
    if (next.done) return;
    yield next.value;
  }
}

export function withRetries(model: ChatModel, policy: RetryPolicy): ChatModel {
  const attempt = <T>(run: (options: CallOptions) => Promise<T>, options: CallOptions | undefined) =>
    callWithRetries(run, policy, { signal: options?.signal });

  const wrapped: ChatModel = {
    descriptor: model.descriptor,
    async complete(request: ChatRequest, options?: CallOptions): Promise<ChatResponse> {
      const { value, attempts } = await attempt((o) => model.complete(request, o), options);
      return { ...value, attempts };
    },
  };
  if (model.generate) {
    const generate = model.generate.bind(model);
    wrapped.generate = async (request: GenerationRequest, options?: CallOptions): Promise<Generation> => {
      const { value, attempts } = await attempt((o) => generate(request, o), options);
      return { ...value, attempts };
    };
  }
  if (model.stream) {
    const stream = model.stream.bind(model);
    wrapped.stream = (request: GenerationRequest, options?: CallOptions): GenerationStream => {
      let attempts = 0;
      async function* events(): AsyncGenerator<GenerationEvent> {
        // Retried as a whole until the first event arrives; after that, failures pass through.
        const opened = await attempt(async (o) => {
          const iterator = stream(request, o)[Symbol.asyncIterator]();
          const first = await iterator.next();
          return { iterator, first };
        }, options);
        attempts = opened.attempts;
        // Bytes may have reached the client: failures from here on are never retried.
        yield* relayOpenedStream(opened.value, attempts);
      }
      const generator = events();
      return {
        get attempts() {
          return attempts;
        },
        [Symbol.asyncIterator]: () => generator,
      };
    };
  }
  return wrapped;
}
