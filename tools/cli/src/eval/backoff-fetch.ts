/**
 * One HTTP call with retries for what a busy service answers: 429 and 503 (and 502, 504 and
 * network failures) are retried with exponential backoff and full jitter, waiting at least what
 * `retry-after` / `retry-after-ms` asks for. Everything else is returned to the caller, which
 * decides whether a status is a row's error. A 401 is never retried: the key is wrong for every
 * row, so the run stops (KeyRefused).
 */
import { abortableSleep } from '../abortable-sleep.js';

export interface BackoffOptions {
  /** Attempts after the first; default 5. */
  retries?: number;
  /** First backoff ceiling; default 250 ms, doubling each attempt. */
  baseDelayMs?: number;
  /** Largest wait between attempts, retry-after included; default 30 s. */
  maxDelayMs?: number;
  /** Per-attempt timeout; default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Injected by tests (deterministic jitter). */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Attempted {
  response: Response;
  /** 1 when the first attempt answered. */
  attempts: number;
  /** The answering attempt's time to headers and body, in ms (retries excluded). */
  latencyMs: number;
  /** The body, read in full (responses here are single JSON documents). */
  text: string;
}

export class KeyRefused extends Error {}

/** The service was not reachable, or kept answering a retryable status, through every retry. */
export class RetriesExhausted extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly attempts: number,
    readonly text: string,
  ) {
    super(message);
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export function retryAfterMs(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function backoffDelayMs(
  attempt: number,
  retryAfter: number | undefined,
  options: Pick<BackoffOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 30_000;
  // Full jitter: clients that were refused together do not come back together.
  const jittered = random() * Math.min(cap, base * 2 ** attempt);
  if (retryAfter === undefined) return jittered;
  // The server's wait is a floor; a little jitter on top still spreads the herd.
  return Math.min(cap, retryAfter + jittered * 0.1);
}

export async function fetchWithBackoff(
  url: string,
  init: () => RequestInit,
  options: BackoffOptions = {},
): Promise<Attempted> {
  const retries = options.retries ?? 5;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  let last: { status: number | null; text: string; message: string } = { status: null, text: '', message: '' };
  for (let attempt = 0; attempt <= retries; attempt++) {
    const started = performance.now();
    // One controller per attempt, its timer cleared and its listener removed when the attempt
    // ends: AbortSignal.timeout keeps every signal alive until it fires, and AbortSignal.any ties
    // each attempt to the run's long-lived signal, so a long run would accumulate them.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer in ${options.timeoutMs ?? 120_000} ms`)),
      options.timeoutMs ?? 120_000,
    );
    const cancel = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', cancel, { once: true });
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init(), signal: controller.signal });
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      last = { status: null, text: '', message: `${url}: ${causeOf(error)}` };
      if (attempt < retries) await sleep(backoffDelayMs(attempt, undefined, options, random), options.signal);
      continue;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
    const latencyMs = performance.now() - started;
    if (response.status === 401) throw new KeyRefused(`${new URL(url).origin} refused the API key (401)`);
    if (!RETRYABLE.has(response.status)) return { response, attempts: attempt + 1, latencyMs, text };
    last = { status: response.status, text, message: `${url}: HTTP ${response.status}` };
    if (attempt < retries) {
      await sleep(backoffDelayMs(attempt, retryAfterMs(response.headers), options, random), options.signal);
    }
  }
  throw new RetriesExhausted(`${last.message} after ${retries + 1} attempts`, last.status, retries + 1, last.text);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
