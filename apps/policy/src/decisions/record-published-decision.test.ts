import { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { Collection } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isRetryable } from '@keel/event-bus';
import { KeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { createPolicyEngine, policyDecidedEventOf } from '@keel/policy-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecisionRecord, openDecisions } from './decision-audit.js';
import { decisionRecordOf, recordPublishedDecision } from './record-published-decision.js';

const policy = createPolicyEngine().compile(
  {
    rules: [
      { id: 'legal', detector: 'topic', topic: 'legal', phrases: ['lawsuit'], action: 'escalate' },
      { id: 'pii', detector: 'pii', action: 'redact' },
    ],
  },
  { tenantId: 'acme', policyVersion: 'acme@v4' },
);

/** What the gateway publishes for an in-process check. */
function gatewayDecision(decisionId: string, overrides: Partial<PolicyDecided> = {}): PolicyDecided {
  const result = policy.check({ stage: 'input', text: 'the lawsuit: mail ann@example.com', contexts: ['a passage'] });
  return {
    ...policyDecidedEventOf(result, {
      decisionId,
      tenantId: 'acme',
      requestId: `req-${decisionId}`,
      stage: 'input',
      decidedBy: 'inference-gateway',
      decidedAt: 1_700_000_000_000,
    }),
    ...overrides,
  };
}

describe('decisionRecordOf', () => {
  it("stores a gateway decision in the service's own record shape", () => {
    expect(decisionRecordOf(gatewayDecision('d-1'))).toEqual({
      id: 'd-1',
      tenantId: 'acme',
      requestId: 'req-d-1',
      documentId: '',
      stage: 'input',
      decision: 'ESCALATE',
      findingTypes: ['topic.escalate', 'pii.email'],
      // Offsets as the gateway published them; the confidence stays with the decider.
      findings: [
        { type: 'topic.escalate', start: 4, end: 11, ruleId: 'topic.escalate:legal', confidence: 0 },
        { type: 'pii.email', start: 18, end: 33, ruleId: 'pii.email.dot-atom', confidence: 0 },
      ],
      findingCount: 2,
      reason: expect.stringContaining('legal'),
      policyVersion: 'acme@v4',
      rulesFired: ['legal', 'pii'],
      contextCount: 0,
      decidedAt: 1_700_000_000_000,
      decidedBy: 'inference-gateway',
    });
  });

  it('refuses a malformed event with a non-retryable error naming each field', () => {
    const malformed = gatewayDecision('d-bad', {
      tenantId: '',
      stage: 'sideways',
      decision: 'MAYBE',
      decidedAt: undefined,
      rulesFired: ['r'.repeat(101)],
      findingCount: -1,
    });
    let error: unknown;
    try {
      decisionRecordOf(malformed);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeelError);
    expect(isRetryable(error)).toBe(false);
    expect((error as KeelError).violations.map((violation) => violation.field)).toEqual([
      'tenant_id',
      'stage',
      'decision',
      'decided_at',
      'rules_fired[0]',
      'finding_count',
    ]);
    expect((error as KeelError).message).toMatch(/^invalid keel\.policy\.decided\.v1 \(decision d-bad\): tenant_id:/);
  });

  it('refuses an event without a decision id', () => {
    expect(() => decisionRecordOf(gatewayDecision('', {}))).toThrow(/decision_id: is required/);
  });

  it('encodes what it reads: the payload is the topic contract', () => {
    const event = gatewayDecision('d-wire');
    expect(decisionRecordOf(PolicyDecided.decode(PolicyDecided.encode(event).finish())).id).toBe('d-wire');
  });
});

describe('recordPublishedDecision', () => {
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const logger = createTestLogger('policy-audit-test').logger;
  let decisions: Collection<DecisionRecord>;

  beforeAll(async () => {
    decisions = await openDecisions(store);
  });
  afterAll(() => store.close());

  it('records a decision once, however often it is delivered', async () => {
    const event = gatewayDecision('d-once');
    expect(await recordPublishedDecision({ decisions, logger }, event)).toBe('recorded');
    expect(await recordPublishedDecision({ decisions, logger }, event)).toBe('already-recorded');
    expect(await decisions.count({ id: 'd-once' })).toBe(1);
  });

  it("skips the service's own decisions (stored before they were published)", async () => {
    for (const decidedBy of ['policy', '']) {
      const event = gatewayDecision(`d-own-${decidedBy}`, { decidedBy });
      expect(await recordPublishedDecision({ decisions, logger }, event)).toBe('own-decision');
      expect(await decisions.get(event.decisionId)).toBeNull();
    }
  });

  it('never overwrites a record the service wrote under the same id', async () => {
    const own = { ...decisionRecordOf(gatewayDecision('d-taken')), decidedBy: 'policy', reason: 'own' };
    await decisions.insert(own);
    expect(await recordPublishedDecision({ decisions, logger }, gatewayDecision('d-taken'))).toBe('already-recorded');
    expect(await decisions.get('d-taken')).toMatchObject({ decidedBy: 'policy', reason: 'own' });
  });

  it('lets a store failure through as it is, so the bus retries it', async () => {
    const failing = {
      insert: async () => {
        throw Object.assign(new Error('store down'), { retryable: true });
      },
    };
    await expect(recordPublishedDecision({ decisions: failing, logger }, gatewayDecision('d-retry'))).rejects.toThrow(
      'store down',
    );
  });
});
