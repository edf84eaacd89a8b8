/**
 * The guardrail variables (read by config.ts, the app's only reader of the environment):
 *  - `KEEL_POLICY_EVALUATION`: `in-process` (default: each tenant's compiled policy evaluated in
 *    the gateway, fed by the policy service) or `remote` (a gRPC Check per text);
 *  - `KEEL_POLICY_FAILURE_MODE`: what a tenant's requests do when no decision can be had
 *    (`closed`, `open`, or a default with per-tenant overrides: `closed,acme=open`);
 *  - `KEEL_POLICY_REFRESH_MS`: how often the in-process policies are fetched again in full;
 *  - `KEEL_STREAM_GUARD_HOLD_CHARS`, `KEEL_STREAM_GUARD_CONTEXT_CHARS`: the held-back window of
 *    streamed output.
 */
import { durationMs, z } from '@keel/platform';
import { type FailureModes, parseFailureModes } from './failure-mode.js';
import { defaultOutputWindow, type OutputWindowOptions } from './output-window.js';

const count = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, context): number => {
      if (value === undefined || value.trim() === '') return fallback;
      const number = Number(value.trim());
      if (!Number.isInteger(number) || number < min || number > max) {
        context.addIssue({ code: 'custom', message: `expected a whole number between ${min} and ${max}` });
        return z.NEVER;
      }
      return number;
    });

export const guardrailsEnvFields = {
  KEEL_POLICY_EVALUATION: z
    .string()
    .optional()
    .transform((value, context): 'in-process' | 'remote' => {
      const mode = value?.trim() || 'in-process';
      if (mode !== 'in-process' && mode !== 'remote') {
        context.addIssue({ code: 'custom', message: 'expected in-process or remote' });
        return z.NEVER;
      }
      return mode;
    }),
  KEEL_POLICY_FAILURE_MODE: z
    .string()
    .optional()
    .transform((value, context): FailureModes => {
      try {
        return parseFailureModes(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  KEEL_POLICY_REFRESH_MS: durationMs(300_000),
  KEEL_STREAM_GUARD_HOLD_CHARS: count(defaultOutputWindow.holdChars, 16, 65_536),
  KEEL_STREAM_GUARD_CONTEXT_CHARS: count(defaultOutputWindow.contextChars, 0, 65_536),
};

export interface GuardrailsConfig {
  evaluation: 'in-process' | 'remote';
  failureModes: FailureModes;
  refreshMs: number;
  outputWindow: OutputWindowOptions;
}

export function guardrailsOf(env: {
  KEEL_POLICY_EVALUATION: 'in-process' | 'remote';
  KEEL_POLICY_FAILURE_MODE: FailureModes;
  KEEL_POLICY_REFRESH_MS: number;
  KEEL_STREAM_GUARD_HOLD_CHARS: number;
  KEEL_STREAM_GUARD_CONTEXT_CHARS: number;
}): GuardrailsConfig {
  return {
    evaluation: env.KEEL_POLICY_EVALUATION,
    failureModes: env.KEEL_POLICY_FAILURE_MODE,
    refreshMs: Math.max(1_000, env.KEEL_POLICY_REFRESH_MS),
    outputWindow: {
      ...defaultOutputWindow,
      holdChars: env.KEEL_STREAM_GUARD_HOLD_CHARS,
      tailChars: Math.min(defaultOutputWindow.tailChars, Math.floor(env.KEEL_STREAM_GUARD_HOLD_CHARS / 2)),
      contextChars: env.KEEL_STREAM_GUARD_CONTEXT_CHARS,
    },
  };
}
