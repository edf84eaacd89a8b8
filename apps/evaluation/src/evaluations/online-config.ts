/**
 * The online path's variables (sampling, drift, the LLM judge), parsed by config.ts with the rest
 * of the environment: their fields are spread into its schema and `onlineConfigOf` builds the
 * `online` section of the configuration.
 */
import { z } from '@keel/platform';
import { type DriftConfig, driftConfigOf, driftEnvFields } from '../drift/drift-config.js';
import { checkJudgeEnv, type JudgeConfig, judgeConfigOf, judgeEnvFields } from '../judge/judge-config.js';
import { type SampleRates, sampleRatesSchema } from '../sampling/sample-rates.js';

export interface OnlineConfig {
  sampling: SampleRates;
  /** Undefined: drift is off (`EVALUATION_DRIFT_WINDOW=0`). */
  drift: DriftConfig | undefined;
  /** Undefined: the judge is off (the default). */
  judge: JudgeConfig | undefined;
}

export const onlineEnvFields = {
  EVALUATION_SAMPLE_RATE: sampleRatesSchema,
  ...driftEnvFields,
  ...judgeEnvFields,
};

const onlineEnvSchema = z.object(onlineEnvFields);
type OnlineEnv = z.output<typeof onlineEnvSchema>;

export function checkOnlineEnv(env: OnlineEnv, context: z.RefinementCtx): void {
  checkJudgeEnv(env, context);
}

export function onlineConfigOf(env: OnlineEnv): OnlineConfig {
  return { sampling: env.EVALUATION_SAMPLE_RATE, drift: driftConfigOf(env), judge: judgeConfigOf(env) };
}
