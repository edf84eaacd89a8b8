/**
 * Where the lineage proxy finds evaluation: `EVALUATION_URL` and one evaluation API key per tenant
 * (`EVALUATION_API_KEYS=tenant=key,...`). Both optional: without them the lineage route answers
 * 503 `LINEAGE.UNAVAILABLE` and everything else works. Read through config.ts, the app's only
 * reader of the environment.
 */
import { optionalUrl, z } from '@keel/platform';
import { LINEAGE_TIMEOUT_MS, parseEvaluationApiKeys } from './lineage-client.js';

export const lineageEnvFields = {
  EVALUATION_URL: optionalUrl(),
  EVALUATION_API_KEYS: z
    .string()
    .optional()
    .transform((value, context) => {
      try {
        return parseEvaluationApiKeys(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
};

export interface LineageConfig {
  baseUrl: string | undefined;
  apiKeys: ReadonlyMap<string, string>;
  timeoutMs: number;
}

export function lineageConfigOf(env: {
  EVALUATION_URL?: string | undefined;
  EVALUATION_API_KEYS: Map<string, string>;
}): LineageConfig {
  return { baseUrl: env.EVALUATION_URL, apiKeys: env.EVALUATION_API_KEYS, timeoutMs: LINEAGE_TIMEOUT_MS };
}
