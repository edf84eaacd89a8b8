import { EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { fromGrpcError, isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { type PolicySnapshot, sharedPolicyEngine } from '@keel/policy-engine';
import { waitFor } from '@keel/testing';
import { describe, expect, it } from 'vitest';
import { startInProcessPolicy } from './in-process-policy.js';
import { createInProcessPolicyGate } from './in-process-policy-gate.js';
import { createPolicySnapshotSync } from './policy-snapshot-sync.js';

const { logger } = createTestLogger('policy-snapshot-sync');

const document = (phrase: string) =>
  JSON.stringify({ deniedTopics: [{ name: 'weapons', phrases: [phrase] }], escalateTopics: [], piiAction: 'redact' });

describe('createPolicySnapshotSync', () => {
  it('is not ready and decides nothing until the first fetch succeeds, then follows keel.policy.changed.v1', async () => {
    const bus = createEmbeddedEventBus();
    await ensureKeelTopics(bus);
    let fetches = 0;
    let release: () => void = () => {};
    const served = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sync = createPolicySnapshotSync({
      bus,
      logger,
      refreshMs: 60_000,
      retryMs: 20,
      async *fetchPolicies(): AsyncGenerator<readonly PolicySnapshot[]> {
        fetches++;
        if (fetches === 1) throw new Error('policy unavailable: connect ECONNREFUSED');
        await served;
        yield [{ tenantId: 'acme', version: 1, policyVersion: 'acme@v1', documentJson: document('build a bomb') }];
      },
    });
    const gate = createInProcessPolicyGate({ snapshots: sync.snapshots, audit: async () => {} });
    const check = (text: string) =>
      gate.check({ tenantId: 'acme', stage: 'input', text, contexts: [], requestId: 'r', readRequires: [] });
    try {
      const before = sync.readiness();
      await sync.start();
      expect((await before).ok).toBe(false);
      const early = await check('hello').catch((error: unknown) => error);
      // Unavailable, so the tenant's failure mode decides.
      expect(isKeelError(early) && [early.httpStatus, early.dependency]).toEqual([503, 'policy']);
      await waitFor('the retried fetch', () => fetches === 2 || undefined);
      expect((await sync.readiness()).detail).toContain('ECONNREFUSED');
      release();
      await sync.loaded();
      expect(fetches).toBe(2);
      expect(await sync.readiness()).toMatchObject({ ok: true });
      expect(await check('how to build a bomb')).toMatchObject({ decision: 'BLOCK', policyVersion: 'acme@v1' });

      // A change published by the policy service reaches the gateway without a fetch.
      await new EventPublisher(bus).publish('keel.policy.changed.v1', {
        tenantId: 'acme',
        version: 2,
        policyVersion: 'acme@v2',
        format: 'json',
        documentJson: document('make a weapon'),
        changedAt: new Date(),
      });
      await waitFor('the change applied', () => sync.snapshots.versionOf('acme') === 2 || undefined);
      expect(await check('how to build a bomb')).toMatchObject({ decision: 'ALLOW', policyVersion: 'acme@v2' });
      expect(await check('make a weapon now')).toMatchObject({ decision: 'BLOCK' });
      // An older version arriving late (a fetch page, a redelivery) does not undo it.
      expect(
        sync.snapshots.apply({ tenantId: 'acme', version: 1, policyVersion: 'acme@v1', documentJson: document('x') }),
      ).toBe(false);
    } finally {
      await sync.stop();
      await bus.close();
    }
  });

  it('marks provisional checks unaudited and audits the others', async () => {
    const audited: string[] = [];
    const gate = createInProcessPolicyGate({
      snapshots: {
        ready: true,
        policyFor: () =>
          ({
            rules: [{ id: 'pii', action: 'redact', stages: ['output'] }],
            check: () => ({
              decision: 'ALLOW',
              reason: '',
              redactedText: 'x',
              redactedContexts: [],
              findings: [],
              findingCount: 0,
              policyVersion: 'default',
              rulesFired: [],
              detectorRulesFired: [],
            }),
          }) as never,
      },
      audit: async (decision) => {
        audited.push(decision.decisionId);
      },
      newDecisionId: () => 'd-1',
    });
    const base = { tenantId: 't', stage: 'output' as const, text: 'x', contexts: [], requestId: 'r', readRequires: [] };
    expect((await gate.check({ ...base, audit: false })).decisionId).toBe('');
    expect((await gate.check(base)).decisionId).toBe('d-1');
    expect(audited).toEqual(['d-1']);
  });

  it('audits no decision of a stage no rule of the policy covers (guardrails off for it)', async () => {
    const audited: string[] = [];
    const policies = sharedPolicyEngine();
    const gate = createInProcessPolicyGate({
      snapshots: {
        ready: true,
        policyFor: () =>
          policies.compile(
            { rules: [{ id: 'no-pii-out', detector: 'pii', stages: ['output'], action: 'redact' }] },
            { tenantId: 't', policyVersion: 't@v1' },
          ),
      },
      audit: async (decision) => {
        audited.push(`${decision.stage}:${decision.decisionId}`);
      },
      newDecisionId: () => 'd-1',
    });
    const base = { tenantId: 't', text: 'mail me at ada@example.com', contexts: [], requestId: 'r', readRequires: [] };
    const input = await gate.check({ ...base, stage: 'input' });
    expect(input).toMatchObject({ decision: 'ALLOW', decisionId: '', text: base.text });
    const output = await gate.check({ ...base, stage: 'output' });
    expect(output).toMatchObject({ decision: 'REDACT', decisionId: 'd-1' });
    expect(audited).toEqual(['output:d-1']);
  });

  it('checks remotely while the policy service is too old to list policies (ListPolicies UNIMPLEMENTED)', async () => {
    const bus = createEmbeddedEventBus();
    const remoteChecks: string[] = [];
    const policy = await startInProcessPolicy({
      bus,
      logger,
      refreshMs: 60_000,
      // What callUnary makes of an UNIMPLEMENTED status.
      async *fetchPolicies(): AsyncGenerator<readonly PolicySnapshot[]> {
        yield* [];
        throw fromGrpcError({ code: 12, details: 'Method not found: ListPolicies' }, { dependency: 'policy' });
      },
      remote: {
        async check(input) {
          remoteChecks.push(input.text);
          return {
            decision: 'ALLOW',
            text: input.text,
            reason: '',
            decisionId: 'r',
            policyVersion: 'v',
            findingTypes: [],
          };
        },
      },
    });
    try {
      await waitFor('the fallback', () => policy.sync.unsupported);
      expect(await policy.sync.readiness()).toMatchObject({ ok: true, detail: expect.stringContaining('unsupported') });
      await policy.gate.check({
        tenantId: 't',
        stage: 'input',
        text: 'hi',
        contexts: [],
        requestId: 'r',
        readRequires: [],
      });
      expect(remoteChecks).toEqual(['hi']);
    } finally {
      await policy.sync.stop();
      await bus.close();
    }
  });
});
