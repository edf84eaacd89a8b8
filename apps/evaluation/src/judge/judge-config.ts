/**
 * The judge's variables. Off unless `EVALUATION_JUDGE_MODEL` is set; then
 * `EVALUATION_JUDGE_GATEWAY_URL` (default the local gateway) and `EVALUATION_JUDGE_API_KEY` (a key
 * the gateway accepts) are needed.
 */
import { optionalUrl, z } from '@keel/platform';

export interface JudgeConfig {
  model: string;
  gatewayUrl: string;
  apiKey: string;
  samples: number;
  retries: number;
  timeoutMs: number;
}

export const judgeEnvFields = {
  EVALUATION_JUDGE_MODEL: z.string().max(256).optional(),
  EVALUATION_JUDGE_GATEWAY_URL: optionalUrl(),
  EVALUATION_JUDGE_API_KEY: z.string().max(4_096).optional(),
  EVALUATION_JUDGE_SAMPLES: z.coerce.number().int().min(1).max(10).default(3),
  EVALUATION_JUDGE_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  EVALUATION_JUDGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
};

type JudgeEnv = {
  EVALUATION_JUDGE_MODEL?: string | undefined;
  EVALUATION_JUDGE_GATEWAY_URL?: string | undefined;
  EVALUATION_JUDGE_API_KEY?: string | undefined;
  EVALUATION_JUDGE_SAMPLES: number;
  EVALUATION_JUDGE_RETRIES: number;
  EVALUATION_JUDGE_TIMEOUT_MS: number;
};

/** Adds an issue naming the variable when the judge is on without a key. */
export function checkJudgeEnv(env: JudgeEnv, context: z.RefinementCtx): void {
  if (env.EVALUATION_JUDGE_MODEL?.trim() && !env.EVALUATION_JUDGE_API_KEY) {
    context.addIssue({
      code: 'custom',
      path: ['EVALUATION_JUDGE_API_KEY'],
      message: 'required when EVALUATION_JUDGE_MODEL is set (a key the gateway accepts)',
    });
  }
}

export function judgeConfigOf(env: JudgeEnv): JudgeConfig | undefined {
  const model = env.EVALUATION_JUDGE_MODEL?.trim();
  if (!model || !env.EVALUATION_JUDGE_API_KEY) return undefined;
  return {
    model,
    gatewayUrl: env.EVALUATION_JUDGE_GATEWAY_URL ?? 'http://127.0.0.1:8080',
    apiKey: env.EVALUATION_JUDGE_API_KEY,
    samples: env.EVALUATION_JUDGE_SAMPLES,
    retries: env.EVALUATION_JUDGE_RETRIES,
    timeoutMs: env.EVALUATION_JUDGE_TIMEOUT_MS,
  };
}
