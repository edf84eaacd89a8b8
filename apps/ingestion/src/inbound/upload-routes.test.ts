import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, type RunningService } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestionConfig } from '../config.js';
import { BLOB_COLLECTION } from '../indexing/blob-store.js';
import { COLLECTION_NAMES } from '../indexing/records.js';
import { startIngestionService } from '../service.js';
import { HashingEmbedder } from '../testing/fakes.js';

/** Real-world samples kept (with their licences) beside the parsers in libs/text. */
const sample = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../../libs/text/src/formats/fixtures/${name}`, import.meta.url)));

const auth = { authorization: 'Bearer acme-key' };
const EMBEDDER = new HashingEmbedder(32);

let bus: EventBus;
let store: DocumentStore;
let vectors: VectorIndex;
let service: RunningService;
let baseUrl: string;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'keel-ingestion-upload-'));
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  vectors = await createEmbeddedVectorIndex({ directory });
  const config = loadIngestionConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: 'acme-key=acme',
    POLICY_SCAN: 'off',
    INGEST_MAX_UPLOAD: '64kb',
    INGEST_MAX_BATCH: '3',
  });
  service = await startIngestionService(
    { bus, store, vectors, embedder: EMBEDDER, logger: createLogger('ingestion', { level: 'silent' }) },
    config,
  );
  baseUrl = service.urls.http as string;
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
  await vectors?.close();
  rmSync(directory, { recursive: true, force: true });
});

function upload(file: Uint8Array | string, fileName: string, fields: Record<string, string> = {}, type?: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file], type ? { type } : {}), fileName);
  return fetch(`${baseUrl}/v1/documents`, { method: 'POST', headers: auth, body: form });
}

async function finishedJob(jobId: string): Promise<Record<string, unknown>> {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const job = (await (await fetch(`${baseUrl}/v1/jobs/${jobId}`, { headers: auth })).json()) as Record<
        string,
        unknown
      >;
      return ['indexed', 'rejected', 'failed'].includes(job.status as string) ? job : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as {
    status: number;
    code: string;
    detail: string;
    errors?: { field: string; message: string }[];
  };
}

describe('file upload: POST /v1/documents with multipart/form-data', () => {
  it('detects a PDF named .txt from its bytes, indexes it, keeps its pages on the chunks and drops the blob', async () => {
    const response = await upload(sample('hello_world_rotated.pdf'), 'notes.txt', { title: 'Rotated' }, 'text/plain');
    expect(response.status).toBe(202);
    const body = (await response.json()) as { jobId: string; documentId: string; contentType: string };
    expect(body.contentType).toBe('application/pdf');
    expect(response.headers.get('location')).toBe(`/v1/jobs/${body.jobId}`);
    const job = await finishedJob(body.jobId);
    expect(job).toMatchObject({ status: 'indexed', chunkCount: 1 });
    const hits = await vectors.search(chunkCollectionName(EMBEDDER), {
      mode: 'keyword',
      text: 'hello world',
      limit: 5,
      filter: { must: [{ key: 'documentId', equals: body.documentId }] },
    });
    expect(hits[0]?.payload).toMatchObject({
      title: 'Rotated',
      source: 'notes.txt',
      parser: 'pdf-unpdf-v1',
      page: 1,
      pageEnd: 5,
    });
    const chunks = await store.collection(COLLECTION_NAMES.chunks);
    expect((await chunks.find({ where: { documentId: body.documentId } })).items[0]).toMatchObject({
      pages: [1, 2, 3, 4, 5],
    });
    expect(await (await store.collection(BLOB_COLLECTION)).count()).toBe(0);
  }, 60_000);

  it('indexes a Word file with its headings', async () => {
    const response = await upload(sample('par-known-paragraphs.docx'), 'known.docx');
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    expect(await finishedJob(jobId)).toMatchObject({ status: 'indexed', chunkCount: 1 });
  }, 60_000);

  it('accepts a file it cannot index, then rejects the job with the reason (scan, encrypted)', async () => {
    for (const [name, code] of [
      ['scan-bad.pdf', 'PARSE.NO_TEXT_LAYER'],
      ['encrypted-attachment.pdf', 'PARSE.ENCRYPTED'],
    ] as const) {
      const response = await upload(sample(name), name);
      expect(response.status).toBe(202);
      const { jobId } = (await response.json()) as { jobId: string };
      expect(await finishedJob(jobId)).toMatchObject({ status: 'rejected', code });
    }
  }, 60_000);

  it('413 naming the file when it is over INGEST_MAX_UPLOAD', async () => {
    const response = await upload('x'.repeat(65 * 1024), 'big.txt');
    expect(response.status).toBe(413);
    const problem = await problemOf(response);
    expect(problem.code).toBe('HTTP.BODY_TOO_LARGE');
    expect(problem.errors).toEqual([{ field: 'file', message: 'must be at most 65536 bytes' }]);
  });

  it('415 with the detected type when the bytes match no supported format', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const response = await upload(png, 'photo.pdf', {}, 'application/pdf');
    expect(response.status).toBe(415);
    const problem = await problemOf(response);
    expect(problem.code).toBe('INGEST.UNSUPPORTED_MEDIA_TYPE');
    expect(problem.errors?.[0]?.field).toBe('file');
    expect(problem.detail).toContain('the bytes are image/png');
  });

  it('400 for a malformed body, a missing file and a malformed field, naming it', async () => {
    const broken = await fetch(`${baseUrl}/v1/documents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
    });
    expect(broken.status).toBe(400);
    expect((await problemOf(broken)).errors?.[0]?.field).toBe('(body)');

    const form = new FormData();
    form.append('title', 'no file');
    const missing = await fetch(`${baseUrl}/v1/documents`, { method: 'POST', headers: auth, body: form });
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).errors?.[0]?.field).toBe('file');

    const badMetadata = await upload('hello', 'a.txt', { metadata: '{not json' });
    expect(badMetadata.status).toBe(400);
    expect((await problemOf(badMetadata)).errors).toEqual([{ field: 'metadata', message: 'must be JSON' }]);

    const empty = await upload('', 'a.txt');
    expect(empty.status).toBe(400);
    expect((await problemOf(empty)).errors?.[0]).toEqual({ field: 'file', message: 'must not be empty' });
  });

  it('a CSV becomes one document per row, with its id and metadata fields', async () => {
    const csv = 'sku,name,description,team\nA-1,Lamp,Ships in two days.,home\nB-2,Chair,Ships in five days.,office\n';
    const response = await upload(csv, 'products.csv', { idField: 'sku', metadataFields: 'team' }, 'text/csv');
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      contentType: string;
      documents: { row: number; jobId: string; documentId: string }[];
    };
    expect(body.contentType).toBe('text/csv');
    expect(body.documents.map((document) => [document.row, document.documentId])).toEqual([
      [1, 'A-1'],
      [2, 'B-2'],
    ]);
    for (const document of body.documents)
      expect(await finishedJob(document.jobId)).toMatchObject({ status: 'indexed' });
    const lamp = (await (await fetch(`${baseUrl}/v1/documents/A-1`, { headers: auth })).json()) as Record<
      string,
      unknown
    >;
    expect(lamp.metadata).toEqual({ team: 'home' });
  }, 60_000);

  it('a malformed JSON Lines file is a 400 naming the file', async () => {
    const response = await upload('{"a":"x"}\n{oops}\n', 'rows.jsonl');
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe('PARSE.CORRUPT');
    expect(problem.errors?.[0]?.field).toBe('file');
  });
});

describe('POST /v1/documents:batch', () => {
  const post = (body: unknown) =>
    fetch(`${baseUrl}/v1/documents:batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('one job per good item, a problem naming the field for each bad one (207)', async () => {
    const response = await post({
      documents: [
        { text: 'The office opens at 8am.', documentId: 'office' },
        { text: '', title: 'empty' },
        { text: 'Refunds take five days.', contentType: 'application/pdf' },
      ],
    });
    expect(response.status).toBe(207);
    const body = (await response.json()) as {
      accepted: number;
      rejected: number;
      results: {
        index: number;
        status: number;
        jobId?: string;
        error?: { code: string; errors: { field: string }[] };
      }[];
    };
    expect([body.accepted, body.rejected]).toEqual([1, 2]);
    expect(body.results.map((result) => [result.index, result.status])).toEqual([
      [0, 202],
      [1, 400],
      [2, 400],
    ]);
    expect(new Set(body.results[1]?.error?.errors.map((error) => error.field))).toEqual(new Set(['documents[1].text']));
    expect(body.results[2]?.error?.errors.map((error) => error.field)).toEqual(['documents[2].contentType']);
    expect(await finishedJob(body.results[0]?.jobId as string)).toMatchObject({
      status: 'indexed',
      documentId: 'office',
    });
  }, 60_000);

  it('202 when every item is accepted; 400 naming `documents` past INGEST_MAX_BATCH or when empty', async () => {
    const all = await post({ documents: [{ text: 'One.' }, { text: 'Two.' }] });
    expect(all.status).toBe(202);
    expect(((await all.json()) as { accepted: number }).accepted).toBe(2);
    const tooMany = await post({ documents: [{ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' }] });
    expect(tooMany.status).toBe(400);
    expect((await problemOf(tooMany)).errors?.[0]?.field).toBe('documents');
    const empty = await post({ documents: [] });
    expect(empty.status).toBe(400);
    expect((await problemOf(empty)).errors?.[0]?.field).toBe('documents');
  });
});
