import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { EventPublisher } from '@keel/event-bus';
import { unavailable } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { RecordingEventBus } from '../testing/fakes.js';
import { Jobs } from './jobs.js';
import { openIngestionRecords } from './records.js';
import { submitDocument } from './submit-document.js';

const request = {
  tenantId: 'acme',
  jobId: 'job-1',
  documentId: 'doc-1',
  title: 'T',
  source: 'S',
  contentType: 'text/plain',
  text: 'Some text.',
  metadata: { team: 'a' },
  aclGroups: ['*'],
};

describe('submitDocument', () => {
  it('queues a job and publishes the request keyed by the job id', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const jobs = new Jobs((await openIngestionRecords(store)).jobs);
    const bus = new RecordingEventBus();

    expect(await submitDocument({ jobs, publisher: new EventPublisher(bus) }, request)).toEqual({
      jobId: 'job-1',
      documentId: 'doc-1',
    });

    expect(await jobs.get('acme', 'job-1')).toMatchObject({ status: 'queued', origin: 'http', documentId: 'doc-1' });
    const [event] = bus.events('keel.ingest.requested.v1');
    expect(event?.meta.idempotencyKey).toBe('job-1');
    expect(event?.payload).toMatchObject({
      tenantId: 'acme',
      jobId: 'job-1',
      text: 'Some text.',
      metadata: { team: 'a' },
    });
    await store.close();
  });

  it('discards the job when the request cannot be published, and says why', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const jobs = new Jobs((await openIngestionRecords(store)).jobs);
    const bus = new RecordingEventBus();
    bus.failures.push({ topic: 'keel.ingest.requested.v1', error: unavailable('event bus', 'no broker') });

    await expect(submitDocument({ jobs, publisher: new EventPublisher(bus) }, request)).rejects.toMatchObject({
      httpStatus: 503,
    });
    expect(await jobs.get('acme', 'job-1')).toBeNull();
    await store.close();
  });
});
