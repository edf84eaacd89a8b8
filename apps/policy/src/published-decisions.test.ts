/**
 * The audit of decisions other services made: the gateway publishes its in-process decisions on
 * `keel.policy.decided.v1`, and the policy service (consumer group keel-policy-audit) stores them
 * in its `decisions` collection beside its own: once however often they are delivered, its own
 * events skipped, a malformed one dead-lettered while the consumer goes on. First through the
 * whole service on the embedded bus, then the consumer over real Kafka.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import { type CheckRequest, type CheckResponse, PolicyClient, Stage } from '@keel/contracts/policy/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import {
  DeadLetterHeader,
  type EventBus,
  EventPublisher,
  ensureKeelTopics,
  type IncomingMessage,
  type Subscription,
} from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { callUnary, createGrpcClient, createLogger, type RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { createPolicyEngine, policyDecidedEventOf } from '@keel/policy-engine';
import { describeWithInfra, findKafka, uniqueName, waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyConfig } from './config.js';
import { type DecisionRecord, openDecisions } from './decisions/decision-audit.js';
import { type DecisionAuditConsumer, startDecisionAuditConsumer } from './inbound/decision-audit-consumer.js';
import { startPolicyService } from './service.js';

const TOPIC = 'keel.policy.decided.v1';
const engine = createPolicyEngine();

/** What the gateway publishes for a check it made in process (the same builder it uses). */
function gatewayDecision(tenantId: string, decisionId: string, text: string): PolicyDecided {
  const policy = engine.compile(
    { rules: [{ id: 'pii', detector: 'pii', action: 'redact' }] },
    { tenantId, policyVersion: `${tenantId}@v1` },
  );
  return policyDecidedEventOf(policy.check({ stage: 'output', text }), {
    decisionId,
    tenantId,
    requestId: `req-${decisionId}`,
    stage: 'output',
    decidedBy: 'inference-gateway',
    decidedAt: Date.parse('2026-12-05T10:00:00Z'),
  });
}

function watchDeadLetters(bus: EventBus, groupId: string, into: IncomingMessage[]): Promise<Subscription> {
  return bus.subscribe({
    groupId,
    topics: [`${TOPIC}.dlq`],
    fromBeginning: false,
    handler: async (message) => {
      into.push(message);
    },
  });
}

describe('the policy service audits the decisions the gateway made in process', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keel-policy-audit-'));
  let bus: EventBus;
  let store: DocumentStore;
  let service: RunningService;
  let decisions: Collection<DecisionRecord>;
  let publisher: EventPublisher;
  let dlqWatch: Subscription;
  const deadLetters: IncomingMessage[] = [];
  const logs = createTestLogger('policy-audit-test');

  async function ready(): Promise<{ ok: boolean; detail: string }> {
    const response = await fetch(`${service.urls.http}/readyz`);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    return body.checks['decision-audit-consumer'] as { ok: boolean; detail: string };
  }

  beforeAll(async () => {
    bus = createEmbeddedEventBus();
    store = createEmbeddedDocumentStore({ path: ':memory:' });
    const config = loadPolicyConfig({
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      ...testInternalAuthEnv,
      KEEL_API_KEYS: 'acme-key=acme',
      KEEL_DATA_DIR: directory,
    });
    service = await startPolicyService({ bus, store, logger: logs.logger }, config);
    decisions = await openDecisions(store);
    publisher = new EventPublisher(bus);
    dlqWatch = await watchDeadLetters(bus, 'policy-audit-test-dlq', deadLetters);
  });

  afterAll(async () => {
    await dlqWatch?.stop();
    await service?.stop();
    await bus?.close();
    await store?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("stores a gateway decision in the service's own record shape", async () => {
    const event = gatewayDecision('acme', 'gw-1', 'mail ann@example.com');
    await publisher.publish(TOPIC, event, { idempotencyKey: event.decisionId });
    const stored = await waitFor('the gateway decision in the audit', () => decisions.get('gw-1'));
    expect(stored).toMatchObject({
      id: 'gw-1',
      tenantId: 'acme',
      requestId: 'req-gw-1',
      stage: 'output',
      decision: 'REDACT',
      findingTypes: ['pii.email'],
      findingCount: 1,
      policyVersion: 'acme@v1',
      rulesFired: ['pii'],
      decidedAt: Date.parse('2026-12-05T10:00:00Z'),
      decidedBy: 'inference-gateway',
    });

    // A decision of the service's own, from a Check: the same fields, and its own event (read by
    // the same consumer) neither duplicates nor overwrites it.
    const client = createGrpcClient(PolicyClient, service.urls.grpc as string, {
      auth: testInternalAuth,
      callerName: 'test',
    });
    try {
      const response = await callUnary<CheckRequest, CheckResponse>(
        client.check.bind(client),
        {
          tenantId: 'acme',
          stage: Stage.STAGE_INPUT,
          text: 'I am bob@example.com',
          contexts: [],
          requestId: 'req-own',
          readRequires: [],
        },
        { deadlineMs: 5000, dependency: 'policy' },
      );
      await waitFor('the own event skipped', async () => /[1-9]\d* own skipped/.test((await ready()).detail));
      const own = await decisions.get(response.decisionId);
      expect(own).toMatchObject({ decidedBy: 'policy', findings: [{ type: 'pii.email', start: 5, end: 20 }] });
      expect(Object.keys(stored ?? {}).sort()).toEqual(Object.keys(own ?? {}).sort());
      expect(await decisions.count({ id: response.decisionId })).toBe(1);
    } finally {
      client.close();
    }
  });

  it('keeps one record for a redelivered decision', async () => {
    const event = gatewayDecision('acme', 'gw-again', 'call 415-555-2671');
    for (let delivery = 0; delivery < 3; delivery += 1) {
      await publisher.publish(TOPIC, event, { idempotencyKey: event.decisionId });
    }
    await waitFor('the redeliveries handled', async () => /[2-9]\d* redelivered/.test((await ready()).detail));
    expect(await decisions.count({ id: 'gw-again' })).toBe(1);
  });

  it('dead-letters a malformed or undecodable event at once and goes on', async () => {
    const malformed = { ...gatewayDecision('acme', 'gw-poison', 'fine'), stage: 'sideways', policyVersion: '' };
    await publisher.publish(TOPIC, malformed, { idempotencyKey: 'gw-poison' });
    await bus.publish(TOPIC, [{ key: 'acme:garbage', value: new Uint8Array([0xff, 0x00, 0x13, 0x37]) }]);
    const after = gatewayDecision('acme', 'gw-after', 'mail carol@example.com');
    await publisher.publish(TOPIC, after, { idempotencyKey: after.decisionId });

    await waitFor('the decision after the poison', () => decisions.get('gw-after'));
    await waitFor('both poison events in the DLQ', () => deadLetters.length >= 2);
    const letters = deadLetters.map((message) => ({
      group: message.headers[DeadLetterHeader.consumerGroup],
      attempts: message.headers[DeadLetterHeader.attempts],
      error: message.headers[DeadLetterHeader.error],
    }));
    expect(letters).toEqual([
      {
        group: 'keel-policy-audit',
        attempts: '1',
        error: expect.stringMatching(/decision gw-poison.*stage: must be input, output or document; policy_version/),
      },
      { group: 'keel-policy-audit', attempts: '1', error: expect.any(String) },
    ]);
    expect(await decisions.get('gw-poison')).toBeNull();
    expect(await ready()).toMatchObject({ ok: true });
  });

  it('reports the consumer in readiness', async () => {
    const check = await ready();
    expect(check).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^group keel-policy-audit on keel\.policy\.decided\.v1: consuming/),
    });
  });
});

const kafka = await findKafka();

describeWithInfra('the decision audit consumer over Kafka', kafka, ({ brokers }) => {
  const tenantId = uniqueName('audit');
  const groupId = uniqueName('keel-policy-audit-test');
  const bus = createKafkaEventBus({ brokers, clientId: groupId });
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  const logger = createLogger('policy', { level: 'silent' });
  const deadLetters: IncomingMessage[] = [];
  let consumer: DecisionAuditConsumer | undefined;
  let dlqWatch: Subscription | undefined;
  let decisions: Collection<DecisionRecord>;

  beforeAll(async () => {
    await ensureKeelTopics(bus);
    decisions = await openDecisions(store);
    // Groups of their own, started at the end of the topics: not what earlier runs left there.
    dlqWatch = await bus.subscribe({
      groupId: uniqueName('policy-audit-dlq-watch'),
      topics: [`${TOPIC}.dlq`],
      fromBeginning: false,
      handler: async (message) => {
        if (message.key.startsWith(`${tenantId}:`)) deadLetters.push(message);
      },
    });
    consumer = await startDecisionAuditConsumer(bus, { decisions, logger }, { groupId, fromBeginning: false });
  }, 90_000);

  afterAll(async () => {
    await consumer?.stop();
    await dlqWatch?.stop();
    await bus.close();
    await store.close();
  });

  it('stores each decision once, skips its own, dead-letters a poison event and goes on', async () => {
    const publisher = new EventPublisher(bus);
    const first = gatewayDecision(tenantId, `${tenantId}-1`, 'mail ann@example.com');
    await publisher.publish(TOPIC, first, { idempotencyKey: first.decisionId });
    await publisher.publish(TOPIC, first, { idempotencyKey: first.decisionId });
    const own = { ...gatewayDecision(tenantId, `${tenantId}-own`, 'fine'), decidedBy: 'policy' };
    await publisher.publish(TOPIC, own, { idempotencyKey: own.decisionId });
    const poison = { ...gatewayDecision(tenantId, `${tenantId}-poison`, 'fine'), decision: 'MAYBE' };
    await publisher.publish(TOPIC, poison, { idempotencyKey: poison.decisionId });
    const last = gatewayDecision(tenantId, `${tenantId}-2`, 'call 415-555-2671');
    await publisher.publish(TOPIC, last, { idempotencyKey: last.decisionId });

    await waitFor('the last decision', () => decisions.get(last.decisionId), { timeoutMs: 45_000 });
    await waitFor('the poison in the DLQ', () => deadLetters.length >= 1, { timeoutMs: 45_000 });
    expect(deadLetters[0]?.headers[DeadLetterHeader.consumerGroup]).toBe(groupId);
    expect(deadLetters[0]?.headers[DeadLetterHeader.error]).toMatch(
      /decision: must be ALLOW, REDACT, BLOCK or ESCALATE/,
    );
    expect(await decisions.count({ tenantId })).toBe(2);
    expect(await decisions.get(first.decisionId)).toMatchObject({ decidedBy: 'inference-gateway', tenantId });
    expect(await decisions.get(own.decisionId)).toBeNull();
    expect(await consumer?.health()).toMatchObject({ ok: true, detail: expect.stringContaining('1 redelivered') });
  }, 90_000);
});
