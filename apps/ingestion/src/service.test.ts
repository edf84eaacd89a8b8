import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decision } from '@keel/contracts/policy/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, type RunningService } from '@keel/platform';
import { waitFor } from '@keel/testing';
import type { VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestionConfig } from './config.js';
import { startIngestionService } from './service.js';
import { type FakePolicyServer, startFakePolicyServer } from './testing/fake-policy-server.js';
import { HashingEmbedder } from './testing/fakes.js';

interface Running {
  service: RunningService;
  baseUrl: string;
  close(): Promise<void>;
}

async function startIngestion(env: Record<string, string>): Promise<Running> {
  const directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-http-'));
  const bus: EventBus = createEmbeddedEventBus();
  const store: DocumentStore = createEmbeddedDocumentStore({ path: ':memory:' });
  const vectors: VectorIndex = await createEmbeddedVectorIndex({ directory });
  const config = loadIngestionConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: 'acme-key=acme,globex-key=globex',
    INGEST_MAX_BODY: '64kb',
    ...env,
  });
  const service = await startIngestionService(
    { bus, store, vectors, embedder: new HashingEmbedder(32), logger: createLogger('ingestion', { level: 'silent' }) },
    config,
  );
  return {
    service,
    baseUrl: service.urls.http as string,
    async close() {
      await service.stop();
      await bus.close();
      await store.close();
      await vectors.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const asAcme = { authorization: 'Bearer acme-key', 'content-type': 'application/json' };
const asGlobex = { authorization: 'Bearer globex-key', 'content-type': 'application/json' };

async function postDocument(baseUrl: string, body: unknown, headers: Record<string, string> = asAcme) {
  return fetch(`${baseUrl}/v1/documents`, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function jobOf(baseUrl: string, jobId: string, headers: Record<string, string> = asAcme) {
  return fetch(`${baseUrl}/v1/jobs/${jobId}`, { headers });
}

async function finishedJob(baseUrl: string, jobId: string): Promise<Record<string, unknown>> {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = (await (await jobOf(baseUrl, jobId)).json()) as Record<string, unknown>;
    return job.status === 'indexed' || job.status === 'rejected' ? job : undefined;
  });
}

describe('ingestion over HTTP', () => {
  let policy: FakePolicyServer;
  let running: Running;

  beforeAll(async () => {
    policy = await startFakePolicyServer((request) =>
      request.text.includes('TOP SECRET')
        ? { decision: Decision.DECISION_BLOCK, text: '', findings: [], reason: 'classified', policyVersion: 'p1' }
        : { decision: Decision.DECISION_ALLOW, text: request.text, findings: [], reason: '', policyVersion: 'p1' },
    );
    running = await startIngestion({ POLICY_ADDRESS: policy.address });
  });

  afterAll(async () => {
    await running?.close();
    await policy?.close();
  });

  it('accepts a document with 202, a job and its Location, then indexes it', async () => {
    const response = await postDocument(running.baseUrl, {
      text: '# Onboarding\n\nNew hires receive a laptop on their first day.',
      title: 'Onboarding',
      contentType: 'text/markdown',
      documentId: 'onboarding',
      metadata: { team: 'people' },
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { jobId: string; documentId: string };
    expect(body.documentId).toBe('onboarding');
    expect(response.headers.get('location')).toBe(`/v1/jobs/${body.jobId}`);

    const job = await finishedJob(running.baseUrl, body.jobId);
    expect(job).toMatchObject({ jobId: body.jobId, documentId: 'onboarding', status: 'indexed', chunkCount: 1 });
    expect(Date.parse(job.createdAt as string)).not.toBeNaN();
    expect(policy.scans.map((scan) => scan.documentId)).toContain('onboarding');

    const document = await fetch(`${running.baseUrl}/v1/documents/onboarding`, { headers: asAcme });
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({
      documentId: 'onboarding',
      title: 'Onboarding',
      metadata: { team: 'people' },
      currentVersion: job.documentVersion,
      chunkCount: 1,
      versions: [{ version: job.documentVersion, state: 'current', policyVersion: 'p1' }],
    });
  });

  it('answers 401 without an API key and with an unknown one', async () => {
    const missing = await postDocument(running.baseUrl, { text: 'x' }, { 'content-type': 'application/json' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.json()).toMatchObject({ code: 'AUTH.MISSING_API_KEY' });
    const unknown = await postDocument(running.baseUrl, { text: 'x' }, { ...asAcme, authorization: 'Bearer nope' });
    expect(unknown.status).toBe(401);
  });

  it('answers 400 naming the invalid field', async () => {
    const noText = await postDocument(running.baseUrl, { title: 'No text' });
    expect(noText.status).toBe(400);
    const problem = (await noText.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((error) => error.field)).toEqual(['text']);

    const badType = await postDocument(running.baseUrl, { text: 'x', contentType: 'application/pdf' });
    expect(((await badType.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('contentType');

    const badKey = await postDocument(running.baseUrl, { text: 'x', metadata: { 'a.b': 'c' } });
    expect(badKey.status).toBe(400);
    expect(((await badKey.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('metadata.a.b');
  });

  it('answers 413 for a body over the limit', async () => {
    const response = await postDocument(running.baseUrl, { text: 'word '.repeat(20_000) });
    expect(response.status).toBe(413);
  });

  it('hides one tenant’s jobs and documents from another', async () => {
    const response = await postDocument(
      running.baseUrl,
      { text: 'Globex quarterly numbers.', documentId: 'q3' },
      asGlobex,
    );
    const { jobId } = (await response.json()) as { jobId: string };
    await waitFor('the globex job to finish', async () => {
      const job = (await (await jobOf(running.baseUrl, jobId, asGlobex)).json()) as { status: string };
      return job.status === 'indexed';
    });
    expect((await jobOf(running.baseUrl, jobId, asAcme)).status).toBe(404);
    expect((await fetch(`${running.baseUrl}/v1/documents/q3`, { headers: asAcme })).status).toBe(404);
    expect((await fetch(`${running.baseUrl}/v1/documents/q3`, { headers: asGlobex })).status).toBe(200);
  });

  it('rejects what the policy blocks', async () => {
    const response = await postDocument(running.baseUrl, { text: 'TOP SECRET launch codes', documentId: 'codes' });
    const { jobId } = (await response.json()) as { jobId: string };
    const job = await finishedJob(running.baseUrl, jobId);
    expect(job).toMatchObject({ status: 'rejected', code: 'POLICY.BLOCKED', reason: 'classified' });
    expect((await fetch(`${running.baseUrl}/v1/documents/codes`, { headers: asAcme })).status).toBe(404);
  });

  it('deletes a document with 204, idempotently', async () => {
    const response = await postDocument(running.baseUrl, { text: 'Short-lived note.', documentId: 'note' });
    const { jobId } = (await response.json()) as { jobId: string };
    await finishedJob(running.baseUrl, jobId);

    const first = await fetch(`${running.baseUrl}/v1/documents/note`, { method: 'DELETE', headers: asAcme });
    expect(first.status).toBe(204);
    const again = await fetch(`${running.baseUrl}/v1/documents/note`, { method: 'DELETE', headers: asAcme });
    expect(again.status).toBe(204);
    expect((await fetch(`${running.baseUrl}/v1/documents/note`, { headers: asAcme })).status).toBe(404);
  });

  it('is ready when its dependencies are', async () => {
    const response = await fetch(`${running.baseUrl}/readyz`);
    const report = (await response.json()) as { checks: Record<string, { ok: boolean }> };
    expect(response.status).toBe(200);
    expect(Object.keys(report.checks).sort()).toEqual(['doc-store', 'event-bus', 'policy', 'vector-index']);
  });
});

describe('ingestion while the policy service is down', () => {
  let running: Running;

  beforeAll(async () => {
    // Nothing listens on a port a closed server just released.
    const gone = await startFakePolicyServer();
    await gone.close();
    running = await startIngestion({
      POLICY_ADDRESS: gone.address,
      POLICY_DEADLINE_MS: '300',
      INGEST_RETRY_ATTEMPTS: '50',
      INGEST_RETRY_INITIAL_BACKOFF_MS: '50',
      INGEST_RETRY_MAX_BACKOFF_MS: '200',
    });
  });

  afterAll(async () => {
    await running?.close();
  });

  it('reports the policy service unreachable and keeps the job running with the reason', async () => {
    const ready = await fetch(`${running.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    expect(report.checks.policy?.ok).toBe(false);
    expect(report.checks['doc-store']?.ok).toBe(true);

    const response = await postDocument(running.baseUrl, { text: 'Waiting for the policy service.' });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    const job = await waitFor('the job to record the policy failure', async () => {
      const current = (await (await jobOf(running.baseUrl, jobId)).json()) as Record<string, unknown>;
      return current.status === 'running' && current.reason ? current : undefined;
    });
    expect(job.reason).toMatch(/policy/i);
  });
});

describe('ingestion without a policy scan (POLICY_SCAN=off)', () => {
  it('indexes without asking any policy service and does not wait for one to be ready', async () => {
    const running = await startIngestion({ POLICY_SCAN: 'off', POLICY_ADDRESS: '127.0.0.1:1' });
    try {
      const ready = (await (await fetch(`${running.baseUrl}/readyz`)).json()) as { checks: Record<string, unknown> };
      expect(Object.keys(ready.checks)).not.toContain('policy');
      const { jobId } = (await (await postDocument(running.baseUrl, { text: 'Unscanned.' })).json()) as {
        jobId: string;
      };
      expect(await finishedJob(running.baseUrl, jobId)).toMatchObject({ status: 'indexed' });
    } finally {
      await running.close();
    }
  });
});
