/**
 * `POST /v1/datasets/:id/versions`: a JSONL upload becomes a new immutable version, or nothing at
 * all. Lines are read, checked and written in chunks as they arrive (the body is never held
 * whole); the first malformed line stops writing, the following lines are still checked (up to
 * UPLOAD_LIMITS.maxErrors errors, so one upload reports several mistakes) and everything written
 * for the version is deleted before the 400 names the lines and reasons.
 */
import { createHash } from 'node:crypto';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { conflict, GrpcCode, KeelError, type Violation, validationError } from '@keel/platform';
import {
  chunkKey,
  type DatasetRecord,
  type DatasetRowChunk,
  type DatasetVersionRecord,
  datasetKey,
  UPLOAD_LIMITS,
  versionKey,
} from './dataset-version.js';
import { REVIEWED_ANSWERS_DATASET } from './golden-example.js';
import { type GoldenRow, parseGoldenLine } from './golden-row.js';
import { jsonlLines, LineError } from './jsonl-lines.js';

export interface DatasetStoreDeps {
  datasets: Collection<DatasetRecord>;
  versions: Collection<DatasetVersionRecord>;
  chunks: Collection<DatasetRowChunk>;
  now?: () => number;
}

export interface Uploader {
  tenantId: string;
  /** The API key's name, else its subject. */
  createdBy: string;
}

export const MALFORMED_LINE = 'DATASET.MALFORMED_LINE';
export const UPLOAD_TOO_LARGE = 'DATASET.TOO_LARGE';

type Limits = { readonly [K in keyof typeof UPLOAD_LIMITS]: number };

export async function uploadDatasetVersion(
  deps: DatasetStoreDeps,
  uploader: Uploader,
  datasetId: string,
  body: AsyncIterable<Uint8Array | string>,
  limits: Limits = UPLOAD_LIMITS,
): Promise<DatasetVersionRecord> {
  if (datasetId === REVIEWED_ANSWERS_DATASET) {
    throw conflict(
      `"${REVIEWED_ANSWERS_DATASET}" is fed by reviewers' decisions and cannot be uploaded to; choose another data set id`,
      'DATASET.READ_ONLY',
    );
  }
  const now = deps.now ?? Date.now;
  const version = await allocateVersion(deps, uploader, datasetId, now());
  try {
    const outcome = await writeRows(deps, version, body, limits);
    const ready = await deps.versions.updateIf(
      version.id,
      { status: 'uploading' },
      {
        status: 'ready',
        rowCount: outcome.rowCount,
        chunkCount: outcome.chunkCount,
        tagCounts: outcome.tagCounts,
        sha256: outcome.sha256,
        bytes: outcome.bytes,
      },
    );
    if (!ready) throw new Error(`dataset version ${datasetId}@${version.version} disappeared during its upload`);
    await recordLatest(deps, ready, now());
    return ready;
  } catch (error) {
    await deps.chunks.deleteMany({ versionKey: version.id });
    await deps.versions.delete(version.id);
    throw error;
  }
}

/** The next version number: one above the highest ever allocated (failed uploads included). */
async function allocateVersion(
  deps: DatasetStoreDeps,
  uploader: Uploader,
  datasetId: string,
  createdAt: number,
): Promise<DatasetVersionRecord> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const highest = await deps.versions.find({
      where: { tenantId: uploader.tenantId, datasetId },
      orderBy: { field: 'version', direction: 'desc' },
      limit: 1,
    });
    const version = (highest.items[0]?.version ?? 0) + 1;
    const record: DatasetVersionRecord = {
      id: versionKey(uploader.tenantId, datasetId, version),
      tenantId: uploader.tenantId,
      datasetId,
      version,
      status: 'uploading',
      rowCount: 0,
      chunkCount: 0,
      tagCounts: {},
      sha256: '',
      bytes: 0,
      createdBy: uploader.createdBy,
      createdAt,
    };
    try {
      await deps.versions.insert(record);
      return record;
    } catch (error) {
      // A concurrent upload took this number: take the next.
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  }
  throw conflict(`too many concurrent uploads to data set "${datasetId}"; retry`, 'DATASET.BUSY');
}

interface WriteOutcome {
  rowCount: number;
  chunkCount: number;
  tagCounts: Record<string, number>;
  sha256: string;
  bytes: number;
}

async function writeRows(
  deps: DatasetStoreDeps,
  version: DatasetVersionRecord,
  body: AsyncIterable<Uint8Array | string>,
  limits: Limits,
): Promise<WriteOutcome> {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* hashed(): AsyncGenerator<Uint8Array | string> {
    for await (const piece of body) {
      hash.update(piece);
      bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
      yield piece;
    }
  }

  const errors: Violation[] = [];
  const ids = new Map<string, number>();
  const tagCounts: Record<string, number> = {};
  let rows: GoldenRow[] = [];
  let chunkChars = 0;
  let rowCount = 0;
  let chunkCount = 0;
  let tooLarge = false;

  const flush = async () => {
    if (rows.length === 0 || errors.length > 0) return;
    await deps.chunks.insert({
      id: chunkKey(version.id, chunkCount),
      versionKey: version.id,
      tenantId: version.tenantId,
      index: chunkCount,
      rows,
    });
    chunkCount++;
    rows = [];
    chunkChars = 0;
  };

  try {
    for await (const line of jsonlLines(hashed(), limits)) {
      const parsed = parseGoldenLine(line.text, line.number);
      if (!parsed.ok) {
        errors.push({ field: `line ${line.number}`, message: parsed.reason });
      } else {
        const seenAt = ids.get(parsed.row.id);
        if (seenAt !== undefined) {
          errors.push({ field: `line ${line.number}`, message: `id "${parsed.row.id}" repeats line ${seenAt}` });
        } else {
          ids.set(parsed.row.id, line.number);
          rowCount++;
          if (rowCount > limits.maxRows) {
            errors.push({ field: `line ${line.number}`, message: `more than ${limits.maxRows} rows` });
            break;
          }
        }
      }
      if (errors.length >= limits.maxErrors) break;
      if (errors.length > 0 || !parsed.ok) continue;
      for (const tag of new Set(parsed.row.tags ?? [])) tagCounts[tag] = (tagCounts[tag] ?? 0) + 1;
      rows.push(parsed.row);
      chunkChars += line.text.length;
      if (rows.length >= limits.chunkRows || chunkChars >= limits.chunkChars) await flush();
    }
  } catch (error) {
    if (!(error instanceof LineError)) throw error;
    errors.push({ field: `line ${error.line}`, message: error.reason });
    tooLarge = error.tooLarge;
  }

  if (errors.length > 0) throw malformed(errors, tooLarge);
  if (rowCount === 0)
    throw validationError(
      [{ field: '(body)', message: 'holds no rows' }],
      'the upload holds no rows: send one JSON object a line',
      MALFORMED_LINE,
    );
  await flush();
  return { rowCount, chunkCount, tagCounts, sha256: hash.digest('hex'), bytes };
}

function malformed(errors: Violation[], tooLarge: boolean): KeelError {
  const first = errors[0] as Violation;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  const detail = `${first.field}: ${first.message}${more}; nothing was stored`;
  if (tooLarge) {
    return new KeelError(detail, {
      code: UPLOAD_TOO_LARGE,
      httpStatus: 413,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
      violations: errors,
    });
  }
  return validationError(errors, detail, MALFORMED_LINE);
}

async function recordLatest(deps: DatasetStoreDeps, version: DatasetVersionRecord, at: number): Promise<void> {
  const id = datasetKey(version.tenantId, version.datasetId);
  const versionCount = await deps.versions.count({
    tenantId: version.tenantId,
    datasetId: version.datasetId,
    status: 'ready',
  });
  try {
    await deps.datasets.insert({
      id,
      tenantId: version.tenantId,
      datasetId: version.datasetId,
      latestVersion: version.version,
      versionCount,
      createdAt: at,
      updatedAt: at,
    });
    return;
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
  }
  // Two uploads finishing together: the higher version wins, whichever lands last.
  await deps.datasets.updateIf(
    id,
    { latestVersion: { $lt: version.version } },
    { latestVersion: version.version, updatedAt: at },
  );
  const count = await deps.versions.count({
    tenantId: version.tenantId,
    datasetId: version.datasetId,
    status: 'ready',
  });
  await deps.datasets.updateIf(id, {}, { versionCount: count });
}
