import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { createLogger, unavailable } from '@keel/platform';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingEventBus } from '../testing/fakes.js';
import { DocumentVersions } from './document-versions.js';
import type { IngestRequest } from './ingest-request.js';
import { Jobs } from './jobs.js';
import { type IngestionRecords, openIngestionRecords } from './records.js';
import { resumeUnfinishedJobs } from './resume-jobs.js';
import { submitDocument } from './submit-document.js';

const request: IngestRequest = {
  tenantId: 'acme',
  jobId: 'job-1',
  documentId: 'doc-1',
  title: 'T',
  source: 'S',
  contentType: 'text/plain',
  text: 'Some text.',
  metadata: { team: 'a' },
  aclGroups: undefined,
};

const anyone = { subject: 'anyone', aclGroups: [] as string[] };
const lawyer = { subject: 'lawyer', aclGroups: ['legal'] };

let store: ReturnType<typeof createEmbeddedDocumentStore>;
let records: IngestionRecords;
let jobs: Jobs;
let versions: DocumentVersions;
let bus: RecordingEventBus;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  records = await openIngestionRecords(store);
  jobs = new Jobs(records.jobs);
  versions = new DocumentVersions(records.documents);
  bus = new RecordingEventBus();
});

afterEach(async () => {
  await store.close();
});

const deps = () => ({ jobs, versions, publisher: new EventPublisher(bus) });

/** A document as the pipeline leaves it. */
async function existingDocument(aclGroups: string[]): Promise<void> {
  await versions.begin(
    { ...request, aclGroups },
    {
      version: 'v1',
      contentSha256: 'x',
      jobId: 'old',
      chunkCount: 1,
      parser: 'p',
      embedder: 'e',
      policyVersion: 'off',
      redacted: false,
    },
  );
  await versions.commit({ ...request, aclGroups }, 'v1', 1);
}

describe('submitDocument', () => {
  it('queues a job holding the request, publishes it keyed by the job id, and records the acknowledgement', async () => {
    expect(await submitDocument(deps(), request, anyone)).toEqual({ jobId: 'job-1', documentId: 'doc-1' });

    const job = await jobs.get('acme', 'job-1');
    expect(job).toMatchObject({
      status: 'queued',
      origin: 'http',
      documentId: 'doc-1',
      aclGroups: ['*'],
      submittedBy: { subject: 'anyone', aclGroups: [] },
      request: { text: 'Some text.', aclGroups: [] },
    });
    expect(job?.publishedAt).toEqual(expect.any(Number));
    const [event] = bus.events('keel.ingest.requested.v1');
    expect(event?.meta.idempotencyKey).toBe('job-1');
    expect(event?.payload).toMatchObject({
      tenantId: 'acme',
      jobId: 'job-1',
      text: 'Some text.',
      metadata: { team: 'a' },
      // Empty: the document keeps its groups when the request is processed.
      aclGroups: [],
    });
  });

  it('discards the job when the request cannot be published, and says why', async () => {
    bus.failures.push({ topic: 'keel.ingest.requested.v1', error: unavailable('event bus', 'no broker') });
    await expect(submitDocument(deps(), request, anyone)).rejects.toMatchObject({ httpStatus: 503 });
    expect(await jobs.get('acme', 'job-1')).toBeNull();
  });

  it('answers 404 for a document the caller may not read, as if it did not exist', async () => {
    await existingDocument(['legal']);
    await expect(submitDocument(deps(), request, anyone)).rejects.toMatchObject({ httpStatus: 404 });
    await expect(submitDocument(deps(), { ...request, aclGroups: ['*'] }, anyone)).rejects.toMatchObject({
      httpStatus: 404,
    });
    expect(bus.published).toHaveLength(0);
    expect(await jobs.get('acme', 'job-1')).toBeNull();
  });

  it('answers 403 when the caller names a group it does not belong to, or widens without every group', async () => {
    await expect(submitDocument(deps(), { ...request, aclGroups: ['legal'] }, anyone)).rejects.toMatchObject({
      httpStatus: 403,
      code: 'DOCUMENT.ACL_GROUP_NOT_HELD',
    });
    await existingDocument(['legal', 'finance']);
    await expect(submitDocument(deps(), { ...request, aclGroups: ['*'] }, lawyer)).rejects.toMatchObject({
      httpStatus: 403,
      code: 'DOCUMENT.ACL_WIDENING_FORBIDDEN',
    });
    expect(bus.published).toHaveLength(0);
    // Narrowing, and keeping the groups, are the reader's right.
    await submitDocument(deps(), { ...request, jobId: 'narrow', aclGroups: ['legal'] }, lawyer);
    await submitDocument(deps(), { ...request, jobId: 'keep' }, lawyer);
    expect(await jobs.get('acme', 'keep')).toMatchObject({ aclGroups: ['legal', 'finance'] });
  });
});

describe('resumeUnfinishedJobs', () => {
  const logger = createLogger('resume-test', { level: 'silent' });

  it('publishes again a request the bus never acknowledged, and fails a job that kept no request', async () => {
    // Recorded, then the process died before the bus had the request.
    await jobs.ensure({
      tenantId: 'acme',
      jobId: 'unpublished',
      documentId: 'doc-1',
      origin: 'http',
      aclGroups: ['*'],
      request: { title: 'T', source: '', contentType: 'text/plain', text: 'Kept.', metadata: {}, aclGroups: [] },
    });
    // Published and acknowledged: the bus delivers it again by itself.
    await submitDocument(deps(), { ...request, jobId: 'published' }, anyone);
    // From before jobs kept their request.
    await jobs.ensure({ tenantId: 'acme', jobId: 'legacy', documentId: 'doc-2', origin: 'http', aclGroups: ['*'] });
    // Created by an upstream event: still on the bus until it is handled.
    await jobs.ensure({ tenantId: 'acme', jobId: 'upstream', documentId: 'doc-3', origin: 'event', aclGroups: ['*'] });
    bus.published.length = 0;

    const report = await resumeUnfinishedJobs({ jobs, publisher: new EventPublisher(bus), logger });

    expect(report).toEqual({ republished: 1, awaitingDelivery: 2, failed: 1 });
    const [event] = bus.events('keel.ingest.requested.v1');
    expect(event?.payload).toMatchObject({ jobId: 'unpublished', documentId: 'doc-1', text: 'Kept.' });
    expect(event?.meta.idempotencyKey).toBe('unpublished');
    expect((await jobs.get('acme', 'unpublished'))?.publishedAt).toEqual(expect.any(Number));
    expect(await jobs.get('acme', 'legacy')).toMatchObject({
      status: 'failed',
      code: 'INGEST.INTERRUPTED',
      reason: expect.stringContaining('interrupted by a restart'),
    });
    expect(await jobs.get('acme', 'upstream')).toMatchObject({ status: 'queued' });
  });

  it('drops the kept request once the job is finished: finished jobs hold no content', async () => {
    await submitDocument(deps(), request, anyone);
    await jobs.markRunning('acme', 'job-1', ['*']);
    await jobs.markIndexed('acme', 'job-1', { documentVersion: 'v1', chunkCount: 1, unchanged: false });
    expect((await jobs.get('acme', 'job-1'))?.request).toBeNull();
  });
});
