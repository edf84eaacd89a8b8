import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../config.js';

const base = { KEEL_API_KEYS: 'k=acme', ...testInternalAuthEnv };

describe('guardrail variables', () => {
  it('evaluates in process and fails closed by default', () => {
    const { guardrails } = loadGatewayConfig(base);
    expect(guardrails.evaluation).toBe('in-process');
    expect(guardrails.failureModes.defaultMode).toBe('closed');
    expect(guardrails.refreshMs).toBe(300_000);
    expect(guardrails.outputWindow).toMatchObject({ holdChars: 256, contextChars: 256, tailChars: 64 });
  });

  it('reads the evaluation, the failure modes per tenant and the window', () => {
    const { guardrails } = loadGatewayConfig({
      ...base,
      KEEL_POLICY_EVALUATION: 'remote',
      KEEL_POLICY_FAILURE_MODE: 'open,acme=closed',
      KEEL_POLICY_REFRESH_MS: '30s',
      KEEL_STREAM_GUARD_HOLD_CHARS: '64',
      KEEL_STREAM_GUARD_CONTEXT_CHARS: '0',
    });
    expect(guardrails.evaluation).toBe('remote');
    expect(guardrails.failureModes).toEqual({ defaultMode: 'open', tenants: new Map([['acme', 'closed']]) });
    expect(guardrails.refreshMs).toBe(30_000);
    expect(guardrails.outputWindow).toMatchObject({ holdChars: 64, tailChars: 32, contextChars: 0 });
  });

  it.each([
    ['KEEL_POLICY_EVALUATION', 'sideways'],
    ['KEEL_POLICY_FAILURE_MODE', 'acme=ajar'],
    ['KEEL_STREAM_GUARD_HOLD_CHARS', '3'],
  ])('refuses a wrong %s, naming it', (variable, value) => {
    expect(() => loadGatewayConfig({ ...base, [variable]: value })).toThrow(variable);
  });
});
