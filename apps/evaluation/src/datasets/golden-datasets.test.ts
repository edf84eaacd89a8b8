/**
 * Golden data sets over HTTP on embedded adapters: versioned uploads, the JSONL validator's line
 * numbers and reasons (nothing stored on a bad line), tenant scoping, and `reviewed-answers`
 * read as the rows reviewers' decisions make.
 */
import { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import type { RunningService } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvaluationConfig } from '../config.js';
import { startEvaluationService } from '../service.js';
import { DATASET_ROW_CHUNKS_COLLECTION, DATASET_VERSIONS_COLLECTION } from './dataset-version.js';
import { parseGoldenLine } from './golden-row.js';
import { jsonlLines, LineError } from './jsonl-lines.js';

const ACME = 'acme-datasets-key';
const LEGAL = 'acme-legal-datasets-key';
const GLOBEX = 'globex-datasets-key';

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let baseUrl: string;

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  const config = loadEvaluationConfig({
    HTTP_PORT: '0',
    KEEL_API_KEYS: `${ACME}=acme::ci,${LEGAL}=acme:legal,${GLOBEX}=globex`,
  });
  service = await startEvaluationService({ bus, store, logger: createTestLogger('evaluation').logger }, config);
  baseUrl = service.urls.http ?? '';
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
});

function upload(datasetId: string, body: string, key = ACME, type = 'application/x-ndjson'): Promise<Response> {
  return fetch(`${baseUrl}/v1/datasets/${datasetId}/versions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': type },
    body,
  });
}

function get(path: string, key = ACME): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read whatever the API answered
type Json = any;
const json = async (response: Response): Promise<Json> => response.json();

const jsonl = (...rows: object[]) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

async function rowsOf(path: string, key = ACME): Promise<Record<string, unknown>[]> {
  const response = await get(path, key);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  const text = await response.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the JSONL validator', () => {
  it('names the reason of a bad row', () => {
    expect(parseGoldenLine('{"question":"Why?"}', 3)).toEqual({ ok: true, row: { question: 'Why?', id: 'line-3' } });
    expect(parseGoldenLine('{"question": "Why?", "refrence_answer": "x"}', 1)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('refrence_answer'),
    });
    expect(parseGoldenLine('{"reference_answer":"x"}', 1)).toEqual({ ok: false, reason: 'question: Required' });
    expect(parseGoldenLine('[1]', 1)).toEqual({ ok: false, reason: 'must be a JSON object' });
    expect(parseGoldenLine('{"question":"q","tags":"a"}', 1)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^tags: /),
    });
    expect(parseGoldenLine('{"question":" \\u200b "}', 1)).toEqual({
      ok: false,
      reason: 'question: must not be empty',
    });
    expect(parseGoldenLine('{"question":', 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });

  it('numbers lines across chunk boundaries, skipping blank ones, and bounds a line', async () => {
    async function* pieces() {
      yield '{"a":1}\n\n{"b"';
      yield ':2}\r\n';
      yield Buffer.from('{"c":3}');
    }
    const lines: { number: number; text: string }[] = [];
    for await (const line of jsonlLines(pieces(), { maxLineBytes: 100, maxBytes: 1000 })) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: '{"c":3}' },
    ]);
    async function* long() {
      yield '{"a":1}\n';
      yield 'x'.repeat(60);
      yield 'x'.repeat(60);
    }
    const error = await (async () => {
      for await (const _ of jsonlLines(long(), { maxLineBytes: 100, maxBytes: 1000 })) {
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LineError);
    expect((error as LineError).message).toBe('line 2: longer than 100 bytes');
  });
});

describe('golden data set uploads', () => {
  it('stores each upload as a new immutable version and streams its rows back', async () => {
    const first = await upload(
      'smoke',
      jsonl(
        { id: 'q1', question: 'How long is the warranty?', reference_answer: 'Two years.', tags: ['warranty'] },
        { question: 'How do refunds work?', relevant_document_ids: ['refunds'], tags: ['refunds', 'warranty'] },
      ),
    );
    expect(first.status).toBe(201);
    expect(await json(first)).toMatchObject({
      datasetId: 'smoke',
      version: 1,
      rowCount: 2,
      createdBy: 'ci',
      tagCounts: { warranty: 2, refunds: 1 },
    });
    expect(first.headers.get('location')).toBe('/v1/datasets/smoke/versions/1/rows');

    const second = await upload('smoke', jsonl({ question: 'Where is the office?' }));
    expect(await json(second)).toMatchObject({ version: 2, rowCount: 1 });

    expect(await rowsOf('/v1/datasets/smoke/versions/1/rows')).toEqual([
      { id: 'q1', question: 'How long is the warranty?', reference_answer: 'Two years.', tags: ['warranty'] },
      {
        id: 'line-2',
        question: 'How do refunds work?',
        relevant_document_ids: ['refunds'],
        tags: ['refunds', 'warranty'],
      },
    ]);
    expect(await rowsOf('/v1/datasets/smoke/versions/latest/rows')).toEqual([
      { id: 'line-1', question: 'Where is the office?' },
    ]);

    const dataset = await json(await get('/v1/datasets/smoke'));
    expect(dataset).toMatchObject({ id: 'smoke', source: 'upload', latestVersion: 2, versionCount: 2 });
    expect(
      dataset.versions.map((version: { version: number; rowCount: number }) => [version.version, version.rowCount]),
    ).toEqual([
      [2, 1],
      [1, 2],
    ]);
    const list = await json(await get('/v1/datasets'));
    expect(list.items.map((item: { id: string }) => item.id)).toContain('smoke');
  });

  it('refuses a malformed file with the line numbers and reasons, storing nothing', async () => {
    const versionsBefore = await (await store.collection(DATASET_VERSIONS_COLLECTION)).count();
    const chunksBefore = await (await store.collection(DATASET_ROW_CHUNKS_COLLECTION)).count();
    const body = [
      JSON.stringify({ question: 'fine' }),
      '',
      JSON.stringify({ question: 'also fine', id: 'a' }),
      '{"question": "broken"',
      JSON.stringify({ reference_answer: 'no question' }),
      JSON.stringify({ question: 'dup', id: 'a' }),
    ].join('\n');
    const response = await upload('broken', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = await json(response);
    expect(problem.detail).toMatch(/^line 4: not JSON: .*\(and 2 more errors\); nothing was stored$/);
    expect(problem.errors).toEqual([
      { field: 'line 4', message: expect.stringMatching(/^not JSON/) },
      { field: 'line 5', message: 'question: Required' },
      { field: 'line 6', message: 'id "a" repeats line 3' },
    ]);
    expect(await (await store.collection(DATASET_VERSIONS_COLLECTION)).count()).toBe(versionsBefore);
    expect(await (await store.collection(DATASET_ROW_CHUNKS_COLLECTION)).count()).toBe(chunksBefore);
    expect((await get('/v1/datasets/broken')).status).toBe(404);
  });

  it('writes a large upload in chunks and reads it back in order', async () => {
    const rows = Array.from({ length: 1_234 }, (_, index) => ({ id: `r${index}`, question: `Question ${index}?` }));
    const response = await upload('large', jsonl(...rows));
    expect(await json(response)).toMatchObject({ version: 1, rowCount: 1_234 });
    const back = await rowsOf('/v1/datasets/large/versions/1/rows');
    expect(back.map((row) => row.id)).toEqual(rows.map((row) => row.id));
    const response2 = await get('/v1/datasets/large/versions/1/rows');
    expect(response2.headers.get('x-keel-row-count')).toBe('1234');
    await response2.body?.cancel();
  });

  it('refuses an empty upload, a JSON body, and uploads to reviewed-answers', async () => {
    expect((await upload('empty', '\n\n')).status).toBe(400);
    const json = await upload('json', JSON.stringify({ question: 'q' }), ACME, 'application/json');
    expect(json.status).toBe(415);
    const reviewed = await upload('reviewed-answers', jsonl({ question: 'q' }));
    expect(reviewed.status).toBe(409);
  });

  it("keeps a tenant's data sets out of another's sight", async () => {
    await upload('private', jsonl({ question: 'Secret?' }));
    expect((await get('/v1/datasets/private', GLOBEX)).status).toBe(404);
    expect((await get('/v1/datasets/private/versions/1/rows', GLOBEX)).status).toBe(404);
    expect((await json(await get('/v1/datasets', GLOBEX))).items).toEqual([]);
    expect((await get('/v1/datasets/private/versions/9/rows')).status).toBe(404);
    expect((await get('/v1/datasets/private/versions/0/rows')).status).toBe(400);
    expect((await get('/v1/datasets/private')).status).toBe(200);
  });
});

describe('reviewed-answers as a data set', () => {
  function decided(reviewId: string, overrides: Partial<ReviewDecided> = {}): ReviewDecided {
    // fromPartial: fields other issues add to the message get their defaults.
    return ReviewDecided.fromPartial({
      reviewId,
      tenantId: 'acme',
      requestId: `req-${reviewId}`,
      traceId: 'trace',
      outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
      question: 'How long can I return a robot?',
      originalAnswer: 'Within 30 days. [1]',
      correctedAnswer: '',
      reviewer: 'alice',
      comment: '',
      decidedAt: new Date(),
      readRequires: [],
      missing: [],
      citations: [
        {
          documentId: 'returns',
          documentVersion: 'v1',
          chunkId: 'returns#0',
          title: 'Returns',
          source: 'returns.md',
          startOffset: 0,
          endOffset: 10,
          score: 1,
          quote: 'Within 30 days.',
          marker: 1,
        },
      ],
      contexts: [],
      ...overrides,
    });
  }

  it('reads decisions as rows of its latest version, only what the key may read', async () => {
    const publisher = new EventPublisher(bus);
    await publisher.publish('keel.review.decided.v1', decided('rev-a'));
    await publisher.publish(
      'keel.review.decided.v1',
      decided('rev-b', {
        outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
        correctedAnswer: 'Within 30 days of delivery.',
      }),
    );
    await publisher.publish(
      'keel.review.decided.v1',
      decided('rev-c', { outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED }),
    );
    await publisher.publish('keel.review.decided.v1', decided('rev-legal', { readRequires: [{ anyOf: ['legal'] }] }));
    await publisher.publish('keel.review.decided.v1', decided('rev-half', { question: '', missing: ['question'] }));

    const rows = await waitFor('four legal-visible rows', async () => {
      const found = await rowsOf('/v1/datasets/reviewed-answers/versions/latest/rows', LEGAL);
      return found.length === 4 ? found : undefined;
    });
    // Decisions arrive on several partitions: rows follow the order they were recorded in.
    expect(rows.map((row) => row.id).sort()).toEqual(['rev-a', 'rev-b', 'rev-c', 'rev-legal']);
    const acmeRows = await rowsOf('/v1/datasets/reviewed-answers/versions/latest/rows');
    expect(acmeRows.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
      {
        id: 'rev-a',
        question: 'How long can I return a robot?',
        tags: ['reviewed', 'approved'],
        reference_answer: 'Within 30 days. [1]',
        relevant_document_ids: ['returns'],
      },
      {
        id: 'rev-b',
        question: 'How long can I return a robot?',
        tags: ['reviewed', 'corrected'],
        reference_answer: 'Within 30 days of delivery.',
      },
      { id: 'rev-c', question: 'How long can I return a robot?', tags: ['reviewed', 'rejected'] },
    ]);
    const dataset = await json(await get('/v1/datasets/reviewed-answers'));
    expect(dataset).toMatchObject({
      source: 'human-review',
      latestVersion: 'latest',
      versions: [{ version: 'latest', rowCount: 3 }],
    });
    const list = await json(await get('/v1/datasets'));
    expect(list.items[0]).toMatchObject({ id: 'reviewed-answers', source: 'human-review' });
    expect((await get('/v1/datasets/reviewed-answers/versions/1/rows')).status).toBe(404);
    expect((await get('/v1/datasets/reviewed-answers', GLOBEX)).status).toBe(404);
  });
});
