/**
 * Reads of golden data sets: uploaded ones (versions in the document store) and `reviewed-answers`
 * (rows derived from reviewers' decisions, one live version `latest`). Scoped to the caller's
 * tenant: another tenant's data set is a 404, like one that does not exist.
 */
import { type Collection, findPage, type Page } from '@keel/doc-store';
import { notFound } from '@keel/platform';
import type { Reader } from './dataset-queries.js';
import {
  chunkKey,
  type DatasetRecord,
  type DatasetRowChunk,
  type DatasetVersionRecord,
  datasetKey,
  versionKey,
} from './dataset-version.js';
import { type GoldenExample, REVIEWED_ANSWERS_DATASET } from './golden-example.js';
import type { GoldenRow } from './golden-row.js';
import { reviewedRows, summarizeReviewed } from './reviewed-rows.js';
import type { DatasetStoreDeps } from './upload-dataset-version.js';

export interface DatasetReadDeps extends DatasetStoreDeps {
  examples: Collection<GoldenExample>;
}

export type VersionRef = number | 'latest';

export interface VersionView {
  version: number | 'latest';
  rowCount: number;
  tagCounts: Record<string, number>;
  sha256: string | null;
  bytes: number | null;
  createdBy: string | null;
  createdAt: string | null;
}

export interface DatasetView {
  id: string;
  source: 'upload' | 'human-review';
  latestVersion: number | 'latest';
  versionCount: number;
  updatedAt: string | null;
}

const iso = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());

/** Versions listed by `GET /v1/datasets/:id`, newest first. */
export const MAX_LISTED_VERSIONS = 100;

export function versionView(record: DatasetVersionRecord): VersionView {
  return {
    version: record.version,
    rowCount: record.rowCount,
    tagCounts: record.tagCounts,
    sha256: record.sha256,
    bytes: record.bytes,
    createdBy: record.createdBy,
    createdAt: iso(record.createdAt),
  };
}

function datasetView(record: DatasetRecord): DatasetView {
  return {
    id: record.datasetId,
    source: 'upload',
    latestVersion: record.latestVersion,
    versionCount: record.versionCount,
    updatedAt: iso(record.updatedAt),
  };
}

/**
 * Data sets by id. The first page starts with `reviewed-answers` when the tenant has reviewed
 * examples; uploaded ones follow in id order.
 */
export async function listDatasets(
  deps: DatasetReadDeps,
  reader: Reader,
  query: { limit: number; cursor?: string },
): Promise<{ items: DatasetView[]; nextCursor: string | null }> {
  const page: Page<DatasetRecord> = await findPage(deps.datasets, {
    where: { tenantId: reader.tenantId },
    orderBy: { field: 'datasetId', direction: 'asc' },
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  const items = page.items.map(datasetView);
  if (!query.cursor) {
    const reviewed = await deps.examples.find({
      where: { tenantId: reader.tenantId, datasetId: REVIEWED_ANSWERS_DATASET },
      orderBy: { field: 'createdAt', direction: 'desc' },
      limit: 1,
    });
    const newest = reviewed.items[0];
    if (newest) {
      items.unshift({
        id: REVIEWED_ANSWERS_DATASET,
        source: 'human-review',
        latestVersion: 'latest',
        versionCount: 1,
        updatedAt: iso(newest.createdAt),
      });
    }
  }
  return { items, nextCursor: page.nextCursor ?? null };
}

export async function getDataset(
  deps: DatasetReadDeps,
  reader: Reader,
  datasetId: string,
): Promise<DatasetView & { versions: VersionView[] }> {
  if (datasetId === REVIEWED_ANSWERS_DATASET) {
    const summary = await summarizeReviewed(deps.examples, reader);
    if (!summary) throw notFound(`data set ${datasetId}`);
    return {
      id: datasetId,
      source: 'human-review',
      latestVersion: 'latest',
      versionCount: 1,
      updatedAt: iso(summary.updatedAt),
      versions: [
        {
          version: 'latest',
          rowCount: summary.rowCount,
          tagCounts: summary.tagCounts,
          sha256: null,
          bytes: null,
          createdBy: null,
          createdAt: iso(summary.updatedAt),
        },
      ],
    };
  }
  const record = await deps.datasets.get(datasetKey(reader.tenantId, datasetId));
  if (!record || record.tenantId !== reader.tenantId) throw notFound(`data set ${datasetId}`);
  const versions = await deps.versions.find({
    where: { tenantId: reader.tenantId, datasetId, status: 'ready' },
    orderBy: { field: 'version', direction: 'desc' },
    limit: MAX_LISTED_VERSIONS,
  });
  return { ...datasetView(record), versions: versions.items.map(versionView) };
}

export interface ResolvedVersion {
  datasetId: string;
  version: number | 'latest';
  rowCount: number | null;
  rows(): AsyncGenerator<GoldenRow>;
}

/** A ready version (`latest`: the highest), else 404. */
export async function resolveVersion(
  deps: DatasetReadDeps,
  reader: Reader,
  datasetId: string,
  ref: VersionRef,
): Promise<ResolvedVersion> {
  if (datasetId === REVIEWED_ANSWERS_DATASET) {
    if (ref !== 'latest') throw notFound(`version ${ref} of data set ${datasetId} (it has only "latest")`);
    return { datasetId, version: 'latest', rowCount: null, rows: () => reviewedRows(deps.examples, reader) };
  }
  let record: DatasetVersionRecord | null;
  if (ref === 'latest') {
    const dataset = await deps.datasets.get(datasetKey(reader.tenantId, datasetId));
    record =
      dataset && dataset.tenantId === reader.tenantId
        ? await deps.versions.get(versionKey(reader.tenantId, datasetId, dataset.latestVersion))
        : null;
  } else {
    record = await deps.versions.get(versionKey(reader.tenantId, datasetId, ref));
  }
  if (!record || record.tenantId !== reader.tenantId || record.status !== 'ready') {
    throw notFound(ref === 'latest' ? `data set ${datasetId}` : `version ${ref} of data set ${datasetId}`);
  }
  const found = record;
  return {
    datasetId,
    version: found.version,
    rowCount: found.rowCount,
    rows: () => versionRows(deps.chunks, found),
  };
}

/** One chunk in memory at a time. */
export async function* versionRows(
  chunks: Collection<DatasetRowChunk>,
  version: DatasetVersionRecord,
): AsyncGenerator<GoldenRow> {
  for (let index = 0; index < version.chunkCount; index++) {
    const chunk = await chunks.get(chunkKey(version.id, index));
    if (!chunk) throw new Error(`chunk ${index} of data set ${version.datasetId}@${version.version} is missing`);
    yield* chunk.rows;
  }
}
