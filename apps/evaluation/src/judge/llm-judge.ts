/**
 * The optional LLM judge: asks a model, through Keel's own gateway (`POST /v1/chat/completions`),
 * to rate an answer, `samples` times, and reports the mean rating as a score in [0, 1] with its
 * spread (standard deviation, min, max), the prompt version and the model.
 *
 * A reply that is not the schema's JSON is retried (`retries` more calls per sample); a 429 or 5xx
 * is retried after the gateway's `Retry-After` (bounded) or a growing delay. The whole judgement
 * has a deadline. Whatever fails, the judge never throws: the answer gets an error outcome (no
 * judge score, the reason stored), and the consumer goes on scoring the next answer.
 */
import type { Logger } from '@keel/platform';
import { type JudgeOutput, parseJudgeOutput, scoreOfRating } from './judge-output.js';
import { type JudgeMaterial, type JudgePrompt, renderJudgeMessages } from './judge-prompt.js';

export interface LlmJudgeOptions {
  gatewayUrl: string;
  apiKey: string;
  model: string;
  prompt: JudgePrompt;
  /** Ratings averaged per answer. */
  samples: number;
  /** Extra calls per sample after an unparseable reply or a retryable HTTP failure. */
  retries: number;
  /** For one whole judgement (every sample and retry). */
  timeoutMs: number;
  logger: Logger;
  /** Longest wait honoured from a `Retry-After`. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export type JudgeOutcome =
  | {
      ok: true;
      /** Mean of the sampled scores, in [0, 1]. */
      score: number;
      stddev: number;
      min: number;
      max: number;
      samples: number;
      /** Each sample's rating (1-5) and reason. */
      ratings: JudgeOutput[];
      promptVersion: string;
      model: string;
      /** Calls made, retries included. */
      calls: number;
    }
  | { ok: false; error: string; promptVersion: string; model: string; calls: number };

export interface Judge {
  readonly model: string;
  readonly promptVersion: string;
  judge(material: JudgeMaterial): Promise<JudgeOutcome>;
}

const REQUEST_TIMEOUT_MS = 30_000;

class CallFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function spreadOf(scores: readonly number[]): { mean: number; stddev: number; min: number; max: number } {
  const mean = scores.reduce((sum, score) => sum + score, 0) / scores.length;
  const variance = scores.reduce((sum, score) => sum + (score - mean) ** 2, 0) / scores.length;
  return {
    mean: round(mean),
    stddev: round(Math.sqrt(variance)),
    min: round(Math.min(...scores)),
    max: round(Math.max(...scores)),
  };
}

export class LlmJudge implements Judge {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly model: string;
  readonly promptVersion: string;

  constructor(private readonly options: LlmJudgeOptions) {
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.model = options.model;
    this.promptVersion = options.prompt.versionId;
  }

  async judge(material: JudgeMaterial): Promise<JudgeOutcome> {
    const { model, samples, retries } = this.options;
    const deadline = Date.now() + this.options.timeoutMs;
    const messages = renderJudgeMessages(this.options.prompt, material);
    const ratings: JudgeOutput[] = [];
    let calls = 0;
    const failed = (error: string): JudgeOutcome => ({
      ok: false,
      error,
      promptVersion: this.promptVersion,
      model,
      calls,
    });
    for (let sample = 0; sample < samples; sample++) {
      let lastError = '';
      let rating: JudgeOutput | undefined;
      for (let attempt = 0; attempt <= retries && rating === undefined; attempt++) {
        if (Date.now() >= deadline)
          return failed(`deadline of ${this.options.timeoutMs} ms passed (${lastError || 'no reply'})`);
        calls++;
        try {
          const content = await this.call(messages, samples > 1, deadline);
          const parsed = parseJudgeOutput(content);
          if (parsed.ok) rating = parsed.output;
          else lastError = parsed.reason;
        } catch (error) {
          if (!(error instanceof CallFailure)) throw error;
          lastError = error.message;
          if (!error.retryable) return failed(lastError);
          const wait = Math.min(error.retryAfterMs ?? 250 * 2 ** attempt, this.options.maxRetryAfterMs ?? 10_000);
          if (attempt < retries) {
            if (Date.now() + wait >= deadline)
              return failed(`deadline of ${this.options.timeoutMs} ms passed (${lastError})`);
            await this.sleep(wait);
          }
        }
      }
      if (rating === undefined) {
        return failed(`sample ${sample + 1} of ${samples}: no valid rating after ${retries + 1} calls: ${lastError}`);
      }
      ratings.push(rating);
    }
    const spread = spreadOf(ratings.map((rating) => scoreOfRating(rating.rating)));
    return {
      ok: true,
      score: spread.mean,
      stddev: spread.stddev,
      min: spread.min,
      max: spread.max,
      samples: ratings.length,
      ratings,
      promptVersion: this.promptVersion,
      model,
      calls,
    };
  }

  /** One chat completion; its message content, or a CallFailure saying whether to retry. */
  private async call(
    messages: { role: string; content: string }[],
    sampling: boolean,
    deadline: number,
  ): Promise<string> {
    const url = new URL(
      'v1/chat/completions',
      this.options.gatewayUrl.endsWith('/') ? this.options.gatewayUrl : `${this.options.gatewayUrl}/`,
    );
    const timeout = Math.max(1, Math.min(REQUEST_TIMEOUT_MS, deadline - Date.now()));
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
        body: JSON.stringify({
          model: this.options.model,
          messages,
          // Several samples only tell something when they may differ.
          temperature: sampling ? 0.7 : 0,
          max_tokens: 400,
          user: 'keel-evaluation-judge',
        }),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (error) {
      throw new CallFailure(`gateway unreachable: ${error instanceof Error ? error.message : String(error)}`, true);
    }
    if (!response.ok) {
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      await response.body?.cancel();
      throw new CallFailure(
        `gateway answered ${response.status}`,
        retryable,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new CallFailure('gateway answered invalid JSON', true);
    }
    const content = (body as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new CallFailure('gateway reply has no message content', true);
    return content;
  }
}
