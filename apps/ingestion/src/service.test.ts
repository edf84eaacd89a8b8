import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decision } from '@keel/contracts/policy/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, type RunningService } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import type { VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestionConfig } from './config.js';
import { COLLECTION_NAMES, type JobRecord } from './indexing/records.js';
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
    // Two keys of tenant acme inside it: one in group legal, one in no group; and a partner in two.
    KEEL_API_KEYS: 'acme-key=acme,globex-key=globex,legal-key=acme:legal:lena,partner-key=acme:legal|finance:pat',
    INGEST_MAX_BODY: '64kb',
    ...testInternalAuthEnv,
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
const asLegal = { authorization: 'Bearer legal-key', 'content-type': 'application/json' };
const asPartner = { authorization: 'Bearer partner-key', 'content-type': 'application/json' };

async function postDocument(baseUrl: string, body: unknown, headers: Record<string, string> = asAcme) {
  return fetch(`${baseUrl}/v1/documents`, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function jobOf(baseUrl: string, jobId: string, headers: Record<string, string> = asAcme) {
  return fetch(`${baseUrl}/v1/jobs/${jobId}`, { headers });
}

async function finishedJob(
  baseUrl: string,
  jobId: string,
  headers: Record<string, string> = asAcme,
): Promise<Record<string, unknown>> {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = (await (await jobOf(baseUrl, jobId, headers)).json()) as Record<string, unknown>;
    return job.status === 'indexed' || job.status === 'rejected' || job.status === 'failed' ? job : undefined;
  });
}

/** Submits and waits for the job; returns it. */
async function indexed(baseUrl: string, body: unknown, headers: Record<string, string>) {
  const response = await postDocument(baseUrl, body, headers);
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  return finishedJob(baseUrl, jobId, headers);
}

const documentOf = (baseUrl: string, id: string, headers: Record<string, string>) =>
  fetch(`${baseUrl}/v1/documents/${id}`, { headers });

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

  it('answers 400 for a text made only of invisible characters', async () => {
    const response = await postDocument(running.baseUrl, { text: '\u200B\u200D\u2060\uFEFF\u202E' });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string; message: string }[] };
    expect(problem.errors).toEqual([{ field: 'text', message: expect.stringMatching(/must not be empty/) }]);
  });

  it('answers 400 naming each field over its bound', async () => {
    const fieldsOf = async (body: unknown) =>
      ((await (await postDocument(running.baseUrl, body)).json()) as { errors: { field: string }[] }).errors.map(
        (error) => error.field,
      );
    expect(await fieldsOf({ text: 'x', title: 't'.repeat(513) })).toEqual(['title']);
    expect(await fieldsOf({ text: 'x', source: 's'.repeat(2049) })).toEqual(['source']);
    expect(await fieldsOf({ text: 'x', documentId: 'd'.repeat(129) })).toEqual(['documentId']);
    expect(await fieldsOf({ text: 'x', aclGroups: Array.from({ length: 65 }, (_, i) => `g${i}`) })).toEqual([
      'aclGroups',
    ]);
    expect(await fieldsOf({ text: 'x', aclGroups: ['g'.repeat(129)] })).toEqual(['aclGroups.0']);
    expect(
      await fieldsOf({ text: 'x', metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }),
    ).toEqual(['metadata']);
    expect(await fieldsOf({ text: 'x', metadata: { k: 'v'.repeat(1025) } })).toEqual(['metadata.k']);
    expect(await fieldsOf({ text: 'x', metadata: { k: { nested: 'object' } } })).toEqual(['metadata.k']);
  });

  it('answers 404 without a lookup for ids no record can have', async () => {
    expect((await jobOf(running.baseUrl, 'j'.repeat(300))).status).toBe(404);
    expect((await fetch(`${running.baseUrl}/v1/documents/${'d'.repeat(300)}`, { headers: asAcme })).status).toBe(404);
    const deleted = await fetch(`${running.baseUrl}/v1/documents/a%2Fb`, { method: 'DELETE', headers: asAcme });
    expect(deleted.status).toBe(404);
  });

  it('refuses, before the 202, a text larger than one policy Scan takes', async () => {
    const large = await startIngestion({ INGEST_MAX_BODY: '5mb' });
    try {
      const response = await postDocument(large.baseUrl, { text: 'word '.repeat(700_000) });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('"field":"text"');
    } finally {
      await large.close();
    }
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

  it('deletes a document with 204; deleting it again finds nothing (404)', async () => {
    const response = await postDocument(running.baseUrl, { text: 'Short-lived note.', documentId: 'note' });
    const { jobId } = (await response.json()) as { jobId: string };
    await finishedJob(running.baseUrl, jobId);

    const first = await fetch(`${running.baseUrl}/v1/documents/note`, { method: 'DELETE', headers: asAcme });
    expect(first.status).toBe(204);
    const again = await fetch(`${running.baseUrl}/v1/documents/note`, { method: 'DELETE', headers: asAcme });
    expect(again.status).toBe(404);
    expect((await fetch(`${running.baseUrl}/v1/documents/note`, { headers: asAcme })).status).toBe(404);
  });

  it('is ready when its dependencies are', async () => {
    const response = await fetch(`${running.baseUrl}/readyz`);
    const report = (await response.json()) as { checks: Record<string, { ok: boolean }> };
    expect(response.status).toBe(200);
    expect(Object.keys(report.checks).sort()).toEqual(['doc-store', 'event-bus', 'index', 'policy', 'vector-index']);
  });
});

describe('authorization inside a tenant (two keys of acme: one in group legal, one in no group)', () => {
  let running: Running;

  beforeAll(async () => {
    running = await startIngestion({ POLICY_SCAN: 'off' });
  });

  afterAll(async () => {
    await running?.close();
  });

  it('hides a restricted document, and its job, from a key outside its groups: 404 as if absent', async () => {
    const job = await indexed(
      running.baseUrl,
      {
        text: 'The merger closes in March.',
        title: 'Project Falcon',
        documentId: 'falcon',
        metadata: { codename: 'falcon' },
        aclGroups: ['legal'],
      },
      asLegal,
    );
    expect(job).toMatchObject({ status: 'indexed' });

    const hidden = await documentOf(running.baseUrl, 'falcon', asAcme);
    expect(hidden.status).toBe(404);
    const body = await hidden.text();
    expect(body).not.toContain('Falcon');
    expect(body).not.toContain('legal');
    // The same answer as for an id that does not exist.
    const missing = await documentOf(running.baseUrl, 'no-such-document', asAcme);
    expect(JSON.parse(body).code).toBe(((await missing.json()) as { code: string }).code);
    expect((await jobOf(running.baseUrl, job.jobId as string, asAcme)).status).toBe(404);

    expect(await (await documentOf(running.baseUrl, 'falcon', asLegal)).json()).toMatchObject({
      title: 'Project Falcon',
      aclGroups: ['legal'],
    });
    expect((await jobOf(running.baseUrl, job.jobId as string, asLegal)).status).toBe(200);
  });

  it('refuses to delete a restricted document for a key outside its groups (404), and lets a member delete it', async () => {
    await indexed(
      running.baseUrl,
      { text: 'Severance terms.', documentId: 'severance', aclGroups: ['legal'] },
      asLegal,
    );

    const attack = await fetch(`${running.baseUrl}/v1/documents/severance`, { method: 'DELETE', headers: asAcme });
    expect(attack.status).toBe(404);
    expect((await documentOf(running.baseUrl, 'severance', asLegal)).status).toBe(200);

    const own = await fetch(`${running.baseUrl}/v1/documents/severance`, { method: 'DELETE', headers: asLegal });
    expect(own.status).toBe(204);
  });

  it('refuses to let a key outside the groups overwrite a restricted document (404), with or without aclGroups', async () => {
    await indexed(
      running.baseUrl,
      { text: 'Original legal text.', documentId: 'contract', aclGroups: ['legal'] },
      asLegal,
    );

    for (const attack of [
      { text: 'Overwritten by an outsider.', documentId: 'contract' },
      { text: 'Overwritten by an outsider.', documentId: 'contract', aclGroups: [] },
    ]) {
      const response = await postDocument(running.baseUrl, attack, asAcme);
      expect(response.status).toBe(404);
    }
    const document = (await (await documentOf(running.baseUrl, 'contract', asLegal)).json()) as {
      aclGroups: string[];
      versions: unknown[];
    };
    expect(document.aclGroups).toEqual(['legal']);
    expect(document.versions).toHaveLength(1);
  });

  it('keeps the groups when a resubmission leaves aclGroups out (absent is not empty)', async () => {
    await indexed(running.baseUrl, { text: 'Version one.', documentId: 'memo', aclGroups: ['legal'] }, asLegal);
    const update = await indexed(running.baseUrl, { text: 'Version two.', documentId: 'memo' }, asLegal);
    expect(update).toMatchObject({ status: 'indexed', unchanged: false });

    expect(await (await documentOf(running.baseUrl, 'memo', asLegal)).json()).toMatchObject({
      aclGroups: ['legal'],
      currentVersion: update.documentVersion,
    });
    expect((await documentOf(running.baseUrl, 'memo', asAcme)).status).toBe(404);

    // An explicit empty list opens it to the whole tenant: lena is in every group it has.
    await indexed(running.baseUrl, { text: 'Version three.', documentId: 'memo', aclGroups: [] }, asLegal);
    expect(await (await documentOf(running.baseUrl, 'memo', asAcme)).json()).toMatchObject({ aclGroups: ['*'] });
  });

  it('answers 403 for groups the caller may not give: naming one it lacks, or widening without every group', async () => {
    const notHeld = await postDocument(
      running.baseUrl,
      { text: 'x', documentId: 'grab', aclGroups: ['legal'] },
      asAcme,
    );
    expect(notHeld.status).toBe(403);
    expect(await notHeld.json()).toMatchObject({ code: 'DOCUMENT.ACL_GROUP_NOT_HELD' });

    await indexed(
      running.baseUrl,
      { text: 'Budget for the merger.', documentId: 'budget', aclGroups: ['legal', 'finance'] },
      asPartner,
    );
    for (const widening of [[], ['legal', 'finance', 'hr']]) {
      const response = await postDocument(
        running.baseUrl,
        { text: 'Budget for everyone.', documentId: 'budget', aclGroups: widening },
        asLegal,
      );
      expect(response.status, JSON.stringify(widening)).toBe(403);
      expect(((await response.json()) as { code: string }).code).toMatch(/^DOCUMENT\.ACL_/);
    }
    // Narrowing is any reader's right.
    const narrowed = await indexed(
      running.baseUrl,
      { text: 'Budget for lawyers.', documentId: 'budget', aclGroups: ['legal'] },
      asLegal,
    );
    expect(narrowed).toMatchObject({ status: 'indexed' });
    expect(await (await documentOf(running.baseUrl, 'budget', asPartner)).json()).toMatchObject({
      aclGroups: ['legal'],
    });
  });

  it('lets a key with no groups create and change tenant-wide documents only', async () => {
    const open = await indexed(running.baseUrl, { text: 'Lunch is at noon.', documentId: 'lunch' }, asAcme);
    expect(open).toMatchObject({ status: 'indexed' });
    expect(await (await documentOf(running.baseUrl, 'lunch', asLegal)).json()).toMatchObject({ aclGroups: ['*'] });
    // A legal member may restrict it (narrowing); then it is gone for the key without groups.
    await indexed(running.baseUrl, { text: 'Lunch is at noon.', documentId: 'lunch', aclGroups: ['legal'] }, asLegal);
    expect((await documentOf(running.baseUrl, 'lunch', asAcme)).status).toBe(404);
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

describe('a restart with work in flight (embedded mode: SQLite store and the durable embedded bus)', () => {
  /** An embedder that takes its time, so that jobs are still queued when the service stops. */
  class SlowEmbedder extends HashingEmbedder {
    override async embed(texts: string[]): Promise<number[][]> {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return super.embed(texts);
    }
  }

  async function startOnFiles(directory: string, embedder: HashingEmbedder) {
    const bus = createEmbeddedEventBus({ path: join(directory, 'event-bus.db') });
    const store = createEmbeddedDocumentStore({ path: join(directory, 'ingestion.db') });
    const vectors = await createEmbeddedVectorIndex({ directory: join(directory, 'vectors') });
    const config = loadIngestionConfig({
      HTTP_PORT: '0',
      KEEL_API_KEYS: 'acme-key=acme',
      POLICY_SCAN: 'off',
      KEEL_DATA_DIR: directory,
    });
    const logger = createLogger('ingestion', { level: 'silent' });
    const service = await startIngestionService({ bus, store, vectors, embedder, logger }, config);
    return {
      baseUrl: service.urls.http as string,
      store,
      /**
       * A graceful stop, as on SIGTERM: the service, then the adapters main.ts closes. Returns how
       * many jobs were left unfinished.
       */
      async stop(): Promise<number> {
        await service.stop();
        const jobs = await store.collection<JobRecord>(COLLECTION_NAMES.jobs);
        const unfinished = await jobs.count({ status: { $in: ['queued', 'running'] } });
        await bus.close();
        await store.close();
        await vectors.close();
        return unfinished;
      },
    };
  }

  it('finishes every job accepted with 202 before a graceful stop, including one whose request never reached the bus', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-restart-'));
    try {
      const first = await startOnFiles(directory, new SlowEmbedder(32));
      const accepted = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const response = await postDocument(first.baseUrl, {
            documentId: `doc-${index}`,
            text: `Document ${index}: ${'words about the office and its opening hours '.repeat(40)}`,
          });
          expect(response.status).toBe(202);
          return ((await response.json()) as { jobId: string }).jobId;
        }),
      );
      // A job recorded by a process that died before its request reached the bus.
      const jobs = await first.store.collection<JobRecord>(COLLECTION_NAMES.jobs);
      const now = Date.now();
      await jobs.insert({
        id: 'acme/crashed-before-publish',
        tenantId: 'acme',
        jobId: 'crashed-before-publish',
        documentId: 'orphan',
        status: 'queued',
        origin: 'http',
        aclGroups: ['*'],
        submittedBy: { subject: 'someone', aclGroups: [] },
        request: {
          title: '',
          source: '',
          contentType: 'text/plain',
          text: 'Accepted, then the process died.',
          metadata: {},
          aclGroups: [],
        },
        createdAt: now,
        updatedAt: now,
      });
      // And one from before jobs kept their request: it cannot be resumed.
      await jobs.insert({
        id: 'acme/legacy',
        tenantId: 'acme',
        jobId: 'legacy',
        documentId: 'legacy-doc',
        status: 'queued',
        origin: 'http',
        createdAt: now,
        updatedAt: now,
      });
      // The drain finishes what is in flight; the rest waits on the bus (and on its job). How many
      // of the 20 are left depends on the machine's speed; the two inserted above always are.
      expect(await first.stop()).toBeGreaterThanOrEqual(2);

      const second = await startOnFiles(directory, new HashingEmbedder(32));
      try {
        const statuses = await Promise.all(
          [...accepted, 'crashed-before-publish'].map(
            async (jobId) => (await finishedJob(second.baseUrl, jobId)).status,
          ),
        );
        expect(statuses).toEqual(new Array(21).fill('indexed'));
        expect(await (await jobOf(second.baseUrl, 'legacy')).json()).toMatchObject({
          status: 'failed',
          code: 'INGEST.INTERRUPTED',
          reason: expect.stringContaining('interrupted by a restart'),
        });
        const orphan = await fetch(`${second.baseUrl}/v1/documents/orphan`, { headers: asAcme });
        expect(orphan.status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
