/**
 * Policy as code end to end: a tenant uploads YAML over HTTP, the new version decides the Check,
 * is published on keel.policy.changed.v1 and served by ListPolicies/GetPolicy; an invalid file is
 * refused with its line and reason while the previous version keeps serving.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyChanged, PolicyDecided } from '@keel/contracts/events/v1/policy';
import {
  type CheckRequest,
  type CheckResponse,
  Decision,
  type GetPolicyRequest,
  type GetPolicyResponse,
  type ListPoliciesRequest,
  type ListPoliciesResponse,
  PolicyClient,
  Stage,
} from '@keel/contracts/policy/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus, Subscription } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { callUnary, createGrpcClient, KeelError, type RunningService } from '@keel/platform';
import { createTestLogger, testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { PolicySnapshotCache, snapshotOfPolicyChanged, snapshotOfTenantPolicy } from '@keel/policy-engine';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyConfig } from './config.js';
import { startPolicyService } from './service.js';

const policyYaml = `# Acme's guardrails
rules:
  - id: employee-ids
    detector: pattern
    pattern: 'EMP-[0-9]{6}'
    type: pii.employee_id
    action: redact
  - id: no-cards
    detector: pii.payment_card
    action: block
  - id: other-pii
    detector: pii
    action: redact
`;

describe('policy as code over HTTP and gRPC', () => {
  let bus: EventBus;
  let store: DocumentStore;
  let service: RunningService;
  let client: InstanceType<typeof PolicyClient>;
  let changed: PolicyChanged[] = [];
  let decided: PolicyDecided[] = [];
  const subscriptions: Subscription[] = [];

  const put = (body: string, contentType = 'application/yaml', key = 'acme-admin') =>
    fetch(`${service.urls.http}/v1/policies`, {
      method: 'PUT',
      headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
      body,
    });
  const get = (path: string, headers: Record<string, string> = {}, key = 'acme-admin') =>
    fetch(`${service.urls.http}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const check = (request: Partial<CheckRequest>) =>
    callUnary<CheckRequest, CheckResponse>(
      client.check.bind(client),
      {
        tenantId: 'acme',
        stage: Stage.STAGE_INPUT,
        text: '',
        contexts: [],
        requestId: '',
        readRequires: [],
        ...request,
      },
      { deadlineMs: 5000, dependency: 'policy' },
    );
  const listPolicies = (request: Partial<ListPoliciesRequest>) =>
    callUnary<ListPoliciesRequest, ListPoliciesResponse>(
      client.listPolicies.bind(client),
      { pageSize: 0, pageToken: '', ...request },
      { deadlineMs: 5000, dependency: 'policy' },
    );
  const getPolicy = (tenantId: string) =>
    callUnary<GetPolicyRequest, GetPolicyResponse>(
      client.getPolicy.bind(client),
      { tenantId },
      { deadlineMs: 5000, dependency: 'policy' },
    );

  beforeAll(async () => {
    const config = loadPolicyConfig({
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      ...testInternalAuthEnv,
      KEEL_API_KEYS: 'acme-admin=acme:policy-admins,acme-app=acme:apps,globex-key=globex:policy-admins',
      KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'keel-policy-admin-')),
      POLICY_ADMIN_GROUPS: 'policy-admins',
    });
    bus = createEmbeddedEventBus();
    store = createEmbeddedDocumentStore({ path: ':memory:' });
    const changes = await recordEvents(bus, 'keel.policy.changed.v1', 'policy-admin-test-changes');
    const decisions = await recordEvents(bus, 'keel.policy.decided.v1', 'policy-admin-test-decided');
    changed = changes.payloads;
    decided = decisions.payloads;
    subscriptions.push(changes.subscription, decisions.subscription);
    service = await startPolicyService({ bus, store, logger: createTestLogger('policy-admin-test').logger }, config);
    client = createGrpcClient(PolicyClient, service.urls.grpc as string, {
      auth: testInternalAuth,
      callerName: 'test',
    });
  });

  afterAll(async () => {
    client?.close();
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await service?.stop();
    await bus?.close();
    await store?.close();
  });

  it('publishes the seeded demo policy at start', async () => {
    await waitFor('the demo policy change', () => changed.find((event) => event.tenantId === 'demo'));
  });

  it('takes a YAML policy, versions it, decides Checks with it and publishes it', async () => {
    const response = await put(policyYaml);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      tenantId: 'acme',
      version: 1,
      policyVersion: 'acme@v1',
      format: 'rules',
      changed: true,
    });

    const text = 'EMP-123456 wrote from ann@example.com';
    const decision = await check({ text, requestId: 'req-yaml' });
    expect(decision.decision).toBe(Decision.DECISION_REDACT);
    expect(decision.text).toBe('[EMPLOYEE_ID] wrote from [EMAIL]');
    expect(decision.policyVersion).toBe('acme@v1');
    expect(decision.rulesFired).toEqual(['employee-ids', 'other-pii']);
    expect(decision.findings.map((f) => [f.type, text.slice(f.start, f.end), f.ruleId])).toEqual([
      ['pii.employee_id', 'EMP-123456', 'pii.employee_id.pattern:employee-ids'],
      ['pii.email', 'ann@example.com', 'pii.email.dot-atom'],
    ]);
    const audited = await waitFor('the decision event', () =>
      decided.find((d) => d.decisionId === decision.decisionId),
    );
    expect(audited).toMatchObject({
      policyVersion: 'acme@v1',
      rulesFired: ['employee-ids', 'other-pii'],
      findingCount: 2,
      decidedBy: 'policy',
    });

    const event = await waitFor('the change event', () =>
      changed.find((e) => e.tenantId === 'acme' && Number(e.version) === 1),
    );
    expect(event).toMatchObject({ policyVersion: 'acme@v1', format: 'rules' });
    // What the gateway does with it: the same decision in process.
    const cache = new PolicySnapshotCache();
    cache.apply(snapshotOfPolicyChanged(event));
    expect(cache.policyFor('acme').check({ stage: 'input', text })).toMatchObject({
      decision: 'REDACT',
      redactedText: decision.text,
      policyVersion: 'acme@v1',
    });

    // Unchanged content keeps its version.
    expect((await put(policyYaml)).status).toBe(200);
  });

  it('refuses an invalid file with the line and the reason, and keeps the previous version serving', async () => {
    const before = changed.length;
    const broken = policyYaml.replace("pattern: 'EMP-[0-9]{6}'", "pattern: '(EMP)-[0-9]+\\1'");
    const response = await put(broken);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await response.json()) as { code: string; detail: string; errors: Record<string, unknown>[] };
    expect(problem.code).toBe('POLICY.INVALID');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'rules[0].pattern', line: 5, column: 14 })]);
    expect(problem.detail).toMatch(/line 5, column 14: rules\[0\]\.pattern: .*backreferences/);

    const syntax = await put('rules:\n  - id: [unclosed\n');
    expect(syntax.status).toBe(400);
    expect(((await syntax.json()) as { errors: { line: number }[] }).errors[0]?.line).toBeGreaterThan(1);

    const decision = await check({ text: 'card 4111 1111 1111 1111' });
    expect(decision).toMatchObject({ decision: Decision.DECISION_BLOCK, policyVersion: 'acme@v1' });
    expect(changed.length).toBe(before);
  });

  it('takes the JSON format too, and shows the current policy and its versions', async () => {
    const json = { deniedTopics: [{ name: 'weapons', phrases: ['build a bomb'] }], piiAction: 'block' };
    const response = await put(JSON.stringify(json), 'application/json');
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ version: 2, format: 'json' });
    expect((await check({ text: 'how to build a bomb' })).rulesFired).toEqual(['topic.denied:weapons']);

    const current = (await (await get('/v1/policies')).json()) as Record<string, unknown>;
    expect(current).toMatchObject({
      tenantId: 'acme',
      version: 2,
      policyVersion: 'acme@v2',
      format: 'json',
      document: { piiAction: 'block', deniedTopics: json.deniedTopics, escalateTopics: [] },
    });
    const versions = (await (await get('/v1/policies/versions?limit=1')).json()) as {
      items: { version: number }[];
      nextCursor?: string;
    };
    expect(versions.items.map((item) => item.version)).toEqual([2]);
    const next = (await (await get(`/v1/policies/versions?limit=1&cursor=${versions.nextCursor}`)).json()) as {
      items: { version: number }[];
    };
    expect(next.items.map((item) => item.version)).toEqual([1]);
    // The YAML as uploaded, comments included.
    const first = await get('/v1/policies/versions/1', { accept: 'application/yaml' });
    expect(first.headers.get('content-type')).toMatch(/yaml/);
    expect(await first.text()).toBe(policyYaml);
    expect((await get('/v1/policies/versions/9')).status).toBe(404);
    expect((await get('/v1/policies/versions?cursor=nonsense')).status).toBe(400);
  });

  it('lets only keys in POLICY_ADMIN_GROUPS change a policy, and keeps tenants apart', async () => {
    const refused = await put(policyYaml, 'application/yaml', 'acme-app');
    expect(refused.status).toBe(403);
    expect((await get('/v1/policies', {}, 'acme-app')).status).toBe(200);
    expect((await put('rules: []\n', 'application/yaml', 'globex-key')).status).toBe(201);
    expect(await (await get('/v1/policies', {}, 'globex-key')).json()).toMatchObject({
      tenantId: 'globex',
      version: 1,
    });
    expect(await (await get('/v1/policies')).json()).toMatchObject({ tenantId: 'acme', version: 2 });
    expect((await put('rules: []', 'text/plain')).status).toBe(415);
  });

  it('serves every current policy over gRPC, a page at a time, for processes that evaluate in process', async () => {
    const first = await listPolicies({ pageSize: 2 });
    expect(first.policies).toHaveLength(2);
    expect(first.nextPageToken).not.toBe('');
    const second = await listPolicies({ pageToken: first.nextPageToken });
    const all = [...first.policies, ...second.policies];
    expect(all.map((policy) => policy.policyVersion).sort()).toEqual(['acme@v2', 'demo@v1', 'globex@v1']);

    const cache = new PolicySnapshotCache();
    await cache.load([all.map(snapshotOfTenantPolicy)]);
    expect(cache.policyFor('acme').check({ stage: 'input', text: 'mail ann@example.com' }).decision).toBe('BLOCK');

    const single = await getPolicy('globex');
    expect(single.policy).toMatchObject({ tenantId: 'globex', version: 1, format: 'rules' });
    expect((await getPolicy('nobody')).policy).toMatchObject({ version: 0, policyVersion: 'default', format: 'json' });
    await expect(listPolicies({ pageToken: 'nonsense' })).rejects.toThrow(KeelError);
    await expect(listPolicies({ pageSize: 501 })).rejects.toThrow(/page_size/);
  });
});
