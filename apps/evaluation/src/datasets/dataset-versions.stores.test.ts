/**
 * Data set versions on both document stores: the embedded SQLite file and the MongoDB protocol
 * (FerretDB here, found by @keel/testing; skipped visibly without it). Chunked writes, reads in
 * order, numbering, and a refused upload that leaves nothing behind.
 */
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { isKeelError } from '@keel/platform';
import { describeWithInfra, findMongo, uniqueName } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetReadDeps, getDataset, resolveVersion } from './dataset-reads.js';
import { datasetStoreOf } from './dataset-store.js';
import { UPLOAD_LIMITS } from './dataset-version.js';
import { GOLDEN_EXAMPLES_COLLECTION, type GoldenExample, goldenExamplesCollectionOptions } from './golden-example.js';
import { uploadDatasetVersion } from './upload-dataset-version.js';

const mongo = await findMongo();
const READER = { tenantId: 'acme', aclGroups: [] };
const UPLOADER = { tenantId: 'acme', createdBy: 'ci' };
// Small chunks, so that a few rows already span several documents.
const LIMITS = { ...UPLOAD_LIMITS, chunkRows: 7 };

async function* lines(...rows: (object | string)[]) {
  for (const row of rows) yield `${typeof row === 'string' ? row : JSON.stringify(row)}\n`;
}

async function collect<T>(items: AsyncGenerator<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function suite(open: () => Promise<DocumentStore>) {
  let store: DocumentStore;
  let deps: DatasetReadDeps;

  beforeAll(async () => {
    store = await open();
    deps = {
      ...(await datasetStoreOf(store)),
      examples: await store.collection<GoldenExample>(GOLDEN_EXAMPLES_COLLECTION, goldenExamplesCollectionOptions),
    };
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it('numbers versions, writes chunks and reads the rows back in order', async () => {
    const rows = Array.from({ length: 30 }, (_, index) => ({ id: `r${index}`, question: `Question ${index}?` }));
    const first = await uploadDatasetVersion(deps, UPLOADER, 'chunked', lines(...rows), LIMITS);
    expect(first).toMatchObject({ version: 1, rowCount: 30, chunkCount: 5, status: 'ready' });
    const second = await uploadDatasetVersion(deps, UPLOADER, 'chunked', lines(...rows.slice(0, 3)), LIMITS);
    expect(second.version).toBe(2);
    const resolved = await resolveVersion(deps, READER, 'chunked', 1);
    expect((await collect(resolved.rows())).map((row) => row.id)).toEqual(rows.map((row) => row.id));
    expect((await resolveVersion(deps, READER, 'chunked', 'latest')).version).toBe(2);
    expect(await getDataset(deps, READER, 'chunked')).toMatchObject({ latestVersion: 2, versionCount: 2 });
  });

  it('leaves nothing behind when a line is bad, even after chunks were written', async () => {
    const good = Array.from({ length: 20 }, (_, index) => ({ question: `Q${index}?` }));
    const error = await uploadDatasetVersion(
      deps,
      UPLOADER,
      'refused',
      lines(...good, '{"question": 3}'),
      LIMITS,
    ).catch((caught: unknown) => caught);
    expect(isKeelError(error) && error.httpStatus).toBe(400);
    expect(isKeelError(error) && error.detail).toMatch(/^line 21: question: /);
    expect(await deps.versions.count({ datasetId: 'refused' })).toBe(0);
    expect(await deps.chunks.count({ tenantId: 'acme' })).toBe(5 + 1);
    await expect(resolveVersion(deps, READER, 'refused', 'latest')).rejects.toMatchObject({ httpStatus: 404 });
  });
}

describe('data set versions on the embedded store', () => {
  suite(async () => createEmbeddedDocumentStore({ path: ':memory:' }));
});

describeWithInfra('data set versions on the MongoDB protocol', mongo, ({ url }) => {
  suite(() => createMongoDocumentStore({ url, database: uniqueName('keel_evaluation_datasets').replace(/-/g, '_') }));
});
