/**
 * Uploaded golden data sets, versioned in the document store. Each upload is a new immutable
 * version (1, 2, ...); its rows are kept in chunks of a few hundred (`dataset_row_chunks`), so a
 * version of 100 000 rows is a few hundred documents, written and read one chunk at a time.
 *
 * - `datasets`: one per (tenant, data set): latest version, number of versions, times.
 * - `dataset_versions`: one per upload; `status: 'uploading'` until every chunk is written, then
 *   `ready`. Only ready versions are listed or read, so a failed or interrupted upload is never
 *   seen (a failed one is deleted; one cut by a crash stays `uploading` and invisible).
 * - `dataset_row_chunks`: `{ version key, index, rows }`.
 *
 * Uploaded data sets are readable by the whole tenant (the uploader's key decides the tenant).
 */
import { createHash } from 'node:crypto';
import type { CollectionOptions } from '@keel/doc-store';
import type { GoldenRow } from './golden-row.js';

export const DATASETS_COLLECTION = 'datasets';
export const DATASET_VERSIONS_COLLECTION = 'dataset_versions';
export const DATASET_ROW_CHUNKS_COLLECTION = 'dataset_row_chunks';

export const datasetsCollectionOptions: CollectionOptions = { indexes: [{ fields: ['tenantId', 'datasetId'] }] };
export const datasetVersionsCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'datasetId', 'version'] }],
};
export const datasetRowChunksCollectionOptions: CollectionOptions = { indexes: [{ fields: ['versionKey', 'index'] }] };

export const UPLOAD_LIMITS = {
  /** One row's line: the largest row allowed by GOLDEN_ROW_LIMITS fits well within it. */
  maxLineBytes: 256 * 1024,
  /** The body of one upload. */
  maxBytes: 64 * 1024 * 1024,
  maxRows: 100_000,
  /** Errors reported for one refused upload (the first ones, in line order). */
  maxErrors: 20,
  /** Rows per stored chunk, and the JSON size at which a chunk is written sooner. */
  chunkRows: 500,
  chunkChars: 1024 * 1024,
} as const;

export type DatasetRecord = {
  id: string;
  tenantId: string;
  datasetId: string;
  latestVersion: number;
  versionCount: number;
  createdAt: number;
  updatedAt: number;
};

export type DatasetVersionRecord = {
  id: string;
  tenantId: string;
  datasetId: string;
  version: number;
  status: 'uploading' | 'ready';
  rowCount: number;
  chunkCount: number;
  /** Rows per tag (rows without tags are not counted here). */
  tagCounts: Record<string, number>;
  /** SHA-256 of the uploaded bytes, so two uploads of the same file are recognisable. */
  sha256: string;
  bytes: number;
  /** The API key's name, else its subject. */
  createdBy: string;
  createdAt: number;
};

export type DatasetRowChunk = {
  id: string;
  versionKey: string;
  tenantId: string;
  index: number;
  rows: GoldenRow[];
};

function digest(...parts: (string | number)[]): string {
  return createHash('sha256')
    .update(`keel-dataset\0${parts.join('\0')}`)
    .digest('hex');
}

export function datasetKey(tenantId: string, datasetId: string): string {
  return digest(tenantId, datasetId);
}

export function versionKey(tenantId: string, datasetId: string, version: number): string {
  return digest(tenantId, datasetId, version);
}

export function chunkKey(version: string, index: number): string {
  return digest(version, 'chunk', index);
}
