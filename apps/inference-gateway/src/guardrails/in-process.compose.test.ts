/**
 * The in-process evaluation as compose.ts wires it (KEEL_POLICY_EVALUATION=in-process, the
 * default): the policies come from the policy service's ListPolicies, then from
 * keel.policy.changed.v1; the gateway decides without calling Check, publishes the audit of each
 * decision, and reports the snapshot in /readyz. The policy service here is a gRPC fake that only
 * lists policies (a Check would fail the test).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import {
  type CheckRequest,
  type CheckResponse,
  type GetPolicyRequest,
  type GetPolicyResponse,
  type ListPoliciesRequest,
  type ListPoliciesResponse,
  PolicyService,
  type ScanRequest,
  type ScanResponse,
} from '@keel/contracts/policy/v1';
import { EventPublisher, type Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { type RunningGrpcServer, type RunningService, startGrpcServer, unaryHandler } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrievedPassage } from '../answering/retriever.js';
import { type ComposedGateway, composeGateway } from '../compose.js';
import { loadGatewayConfig } from '../config.js';
import { startGatewayService } from '../service.js';

const { logger } = createTestLogger('in-process-compose');
const policyOf = (phrase: string) =>
  JSON.stringify({ deniedTopics: [{ name: 'weapons', phrases: [phrase] }], escalateTopics: [], piiAction: 'redact' });

const passage: RetrievedPassage = {
  chunkId: 'returns#0',
  documentId: 'returns',
  documentVersion: 'v1',
  title: 'Returns',
  source: 'kb://returns',
  text: 'Refunds are paid to the original card within five days.',
  startOffset: 0,
  endOffset: 56,
  score: 1,
  aclGroups: [],
};

let policyServer: RunningGrpcServer;
let deps: ComposedGateway;
let gateway: RunningService;
let decided: { payloads: unknown[]; subscription: Subscription };
let checksCalled = 0;
let listed = 0;
const bus = createEmbeddedEventBus();
const dataDir = mkdtempSync(join(tmpdir(), 'keel-in-process-'));

beforeAll(async () => {
  policyServer = await startGrpcServer({
    port: 0,
    logger,
    auth: testInternalAuth,
    services: [
      {
        definition: PolicyService,
        implementation: {
          check: unaryHandler<CheckRequest, CheckResponse>(logger, async () => {
            checksCalled++;
            throw new Error('the gateway evaluates in process: no Check');
          }),
          scan: unaryHandler<ScanRequest, ScanResponse>(logger, async () => {
            throw new Error('not used');
          }),
          listPolicies: unaryHandler<ListPoliciesRequest, ListPoliciesResponse>(logger, async () => {
            listed++;
            return {
              policies: [
                {
                  tenantId: 'acme',
                  version: 1,
                  policyVersion: 'acme@v1',
                  format: 'json',
                  documentJson: policyOf('build a bomb'),
                  updatedAt: new Date(),
                },
              ],
              nextPageToken: '',
            };
          }),
          getPolicy: unaryHandler<GetPolicyRequest, GetPolicyResponse>(logger, async () => {
            throw new Error('not used');
          }),
        },
      },
    ],
  });
  const config = loadGatewayConfig({
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: 'acme-key=acme',
    KEEL_DATA_DIR: dataDir,
    POLICY_ADDRESS: policyServer.address,
    ...testInternalAuthEnv,
  });
  expect(config.guardrails.evaluation).toBe('in-process');
  const composed = await composeGateway(config, logger, { bus });
  const { retrieval: _retrieval, ...checks } = composed.dependencyChecks;
  deps = { ...composed, retriever: { search: async () => [passage] }, dependencyChecks: checks };
  gateway = await startGatewayService(deps, config);
  decided = await recordEvents(bus, 'keel.policy.decided.v1', 'in-process-compose-test');
}, 60_000);

afterAll(async () => {
  await decided?.subscription.stop();
  await gateway?.stop();
  await deps?.close();
  await bus.close();
  await policyServer?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ask = (question: string) =>
  fetch(`${gateway.urls.http}/v1/answers`, {
    method: 'POST',
    headers: { authorization: 'Bearer acme-key', 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
  });

describe('in-process evaluation, composed', () => {
  it('fetches the policies, reports the snapshot ready, and decides in process, audited', async () => {
    await waitFor('the snapshot ready', async () => {
      const response = await fetch(`${gateway.urls.http}/readyz`);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
      return body.checks['policy-snapshot']?.ok || undefined;
    });
    expect(listed).toBeGreaterThanOrEqual(1);
    const blocked = await ask('How do I build a bomb?');
    expect(blocked.status).toBe(422);
    expect((await ask('How are refunds paid?')).status).toBe(200);
    expect(checksCalled).toBe(0);
    const events = await waitFor('the audit', () =>
      decided.payloads.length >= 4 ? (decided.payloads as PolicyDecided[]) : undefined,
    );
    expect(events[0]).toMatchObject({
      tenantId: 'acme',
      stage: 'input',
      decision: 'BLOCK',
      policyVersion: 'acme@v1',
      decidedBy: 'inference-gateway',
    });
    expect(events.slice(1).map((event) => event.stage)).toEqual(['input', 'document', 'output']);
  });

  it('applies a policy change from keel.policy.changed.v1 without a restart', async () => {
    await new EventPublisher(bus).publish('keel.policy.changed.v1', {
      tenantId: 'acme',
      version: 2,
      policyVersion: 'acme@v2',
      format: 'json',
      documentJson: policyOf('refunds'),
      changedAt: new Date(),
    });
    await waitFor(
      'the new version applied',
      async () => (await ask('How are refunds paid?')).status === 422 || undefined,
    );
    expect((await ask('How do I build a bomb?')).status).toBe(200);
  });
});
