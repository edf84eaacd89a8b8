/** Test fixtures: the evaluation and policy events of one answer (`acme`, `req-1`). */
import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';

export function scored(overrides: Partial<EvaluationScored> = {}): EvaluationScored {
  return {
    requestId: 'req-1',
    tenantId: 'acme',
    traceId: 'trace-1',
    scores: [
      { metric: 'groundedness', value: 0.25, explanation: '1 of 4 claims supported', unit: '' },
      { metric: 'latency_ms', value: 840, explanation: '', unit: 'ms' },
    ],
    verdicts: [
      { claim: 'Robots can be returned for 90 days.', supported: false, supportingChunkId: '', support: 0.1 },
      { claim: 'Delivery is free.', supported: true, supportingChunkId: 'shipping#0', support: 0.9 },
    ],
    threshold: 0.7,
    passed: false,
    evaluatorVersion: 'lexical-v2',
    scoredAt: new Date('2026-01-02T03:04:05Z'),
    readRequires: [],
    ...overrides,
  };
}

export function policyDecided(overrides: Partial<PolicyDecided> = {}): PolicyDecided {
  return {
    decisionId: 'dec-out',
    tenantId: 'acme',
    requestId: 'req-1',
    stage: 'output',
    decision: 'REDACT',
    findingTypes: ['pii.email'],
    reason: 'redacted personal data: pii.email',
    policyVersion: 'acme@v3',
    decidedAt: new Date('2026-01-02T03:04:04Z'),
    rulesFired: ['pii'],
    findingCount: 2,
    decidedBy: 'inference-gateway',
    ...overrides,
  };
}
