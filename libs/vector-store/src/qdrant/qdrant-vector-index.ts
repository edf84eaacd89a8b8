import { QdrantClient } from '@qdrant/js-client-rest';
import { fuseHybrid, hybridCandidateCount } from '../hybrid-fusion.js';
import {
  lastWriteWins,
  matchesNothing,
  reservedPayloadPrefix,
  validateChunks,
  validateCollectionName,
  validateDimensions,
  validateFilter,
  validateQuery,
} from '../request-validation.js';
import type {
  CollectionSpec,
  IndexedChunk,
  PayloadValue,
  VectorFilter,
  VectorHit,
  VectorIndex,
  VectorQuery,
} from '../vector-index.js';
import { VectorStoreError, VectorStoreErrorCode } from '../vector-store-error.js';
import {
  type Bm25Parameters,
  defaultBm25,
  documentSparseVector,
  querySparseVector,
  type SparseVector,
} from './bm25-sparse-vector.js';
import { pointIdFor } from './point-id.js';
import { qdrantFilter } from './qdrant-filter.js';

export interface QdrantVectorIndexOptions {
  /** `http://qdrant:6333`; without a port the scheme's default port is used. */
  url: string;
  apiKey?: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Points per upsert request (default 256). */
  upsertBatchSize?: number;
  bm25?: Partial<Bm25Parameters>;
}

/** Named vectors of a Keel chunk collection. */
const denseVector = 'dense';
const sparseVector = 'bm25';
/** The original chunk id and text, kept in the payload (point ids are UUIDs). */
const idKey = `${reservedPayloadPrefix}_id`;
const textKey = `${reservedPayloadPrefix}_text`;
/** Filtered on by every query (tenant) or delete (document), or per user (ACL groups). */
const indexedKeywordFields = [
  { field: 'tenantId', isTenant: true },
  { field: 'documentId', isTenant: false },
  { field: 'aclGroups', isTenant: false },
] as const;

/**
 * The VectorIndex on Qdrant (REST, @qdrant/js-client-rest 1.18). Each collection has a named
 * dense vector `dense` (cosine) and a named sparse vector `bm25` with Qdrant's IDF modifier:
 * the document side of BM25 is computed here from `tokenizeForSearch` (see
 * bm25-sparse-vector.ts), Qdrant supplies the IDF, so keyword search is BM25 on the same
 * terms the embedded adapter indexes. Hybrid search sends the dense and the sparse query in
 * one `query/batch` request and fuses them client-side with `fuseHybrid` (weighted RRF, the
 * query's `fusion`): Qdrant's own `rrf` query, even with its `k` and `weights`, returns only
 * fused scores, and services need each list's rank (for diagnostics and evaluation) exactly as
 * the embedded adapter reports it.
 */
export function createQdrantVectorIndex(options: QdrantVectorIndexOptions): VectorIndex {
  return new QdrantVectorIndex(options);
}

type Point = Awaited<ReturnType<QdrantClient['query']>>['points'][number];

class QdrantVectorIndex implements VectorIndex {
  private readonly client: QdrantClient;
  private readonly bm25: Bm25Parameters;
  private readonly upsertBatchSize: number;
  private readonly dimensions = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: QdrantVectorIndexOptions) {
    const url = new URL(options.url);
    this.client = new QdrantClient({
      url: options.url,
      // The client otherwise assumes 6333 whenever the URL names no port.
      port: url.port ? Number(url.port) : null,
      timeout: options.timeoutMs ?? 30_000,
      // Checked by health() instead of a fire-and-forget request that logs to the console.
      checkCompatibility: false,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    });
    this.bm25 = { ...defaultBm25, ...options.bm25 };
    this.upsertBatchSize = options.upsertBatchSize ?? 256;
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    this.assertOpen();
    validateCollectionName(spec.name);
    validateDimensions(spec.dimensions);
    let dimensions = await this.dimensionsOf(spec.name);
    if (dimensions === undefined) {
      try {
        await this.client.createCollection(spec.name, {
          vectors: { [denseVector]: { size: spec.dimensions, distance: 'Cosine' } },
          sparse_vectors: { [sparseVector]: { modifier: 'idf' } },
        });
      } catch (error) {
        // Another process may have created it a moment ago; anything else is re-raised below.
        dimensions = await this.dimensionsOf(spec.name).catch(() => undefined);
        if (dimensions === undefined) throw mapError(`creating collection "${spec.name}"`, error);
      }
      dimensions ??= await this.dimensionsOf(spec.name);
    }
    if (dimensions !== spec.dimensions) {
      throw new VectorStoreError(
        VectorStoreErrorCode.DimensionMismatch,
        `collection "${spec.name}" exists with ${dimensions} dimensions, not ${spec.dimensions}`,
      );
    }
    // Creating an existing payload index is a no-op in Qdrant, so this is idempotent too.
    for (const { field, isTenant } of indexedKeywordFields) {
      await this.call(`indexing "${field}" of "${spec.name}"`, () =>
        this.client.createPayloadIndex(spec.name, {
          wait: true,
          field_name: field,
          field_schema: isTenant ? { type: 'keyword', is_tenant: true } : 'keyword',
        }),
      );
    }
  }

  async upsert(collection: string, chunks: IndexedChunk[]): Promise<void> {
    this.assertOpen();
    const dimensions = await this.requireDimensions(collection);
    validateChunks(chunks, dimensions);
    const points = lastWriteWins(chunks).map((chunk) => this.toPoint(chunk));
    for (let start = 0; start < points.length; start += this.upsertBatchSize) {
      const batch = points.slice(start, start + this.upsertBatchSize);
      // wait: the write is searchable when upsert returns, as the port promises.
      await this.call(`upserting into "${collection}"`, () =>
        this.client.upsert(collection, { wait: true, points: batch }),
      );
    }
  }

  async deleteWhere(collection: string, filter: VectorFilter): Promise<void> {
    this.assertOpen();
    validateCollectionName(collection);
    validateFilter(filter);
    if (matchesNothing(filter)) return;
    if ((await this.dimensionsOf(collection)) === undefined) return;
    await this.call(`deleting from "${collection}"`, () =>
      this.client.delete(collection, { wait: true, filter: qdrantFilter(filter) ?? {} }),
    );
  }

  async search(collection: string, query: VectorQuery): Promise<VectorHit[]> {
    this.assertOpen();
    const dimensions = await this.requireDimensions(collection);
    validateQuery(query, dimensions);
    if (matchesNothing(query.filter)) return [];
    const filter = qdrantFilter(query.filter);
    const dense = (limit: number) => ({
      query: query.vector ?? [],
      using: denseVector,
      limit,
      with_payload: true,
      ...(filter ? { filter } : {}),
    });
    const keyword = (sparse: SparseVector, limit: number) => ({
      query: sparse,
      using: sparseVector,
      limit,
      with_payload: true,
      ...(filter ? { filter } : {}),
    });
    const searching = `searching "${collection}"`;
    switch (query.mode) {
      case 'dense': {
        const response = await this.call(searching, () => this.client.query(collection, dense(query.limit)));
        return response.points.map(toHit);
      }
      case 'keyword': {
        const sparse = querySparseVector(query.text ?? '');
        if (sparse.indices.length === 0) return [];
        const response = await this.call(searching, () => this.client.query(collection, keyword(sparse, query.limit)));
        return response.points.map(toHit);
      }
      case 'hybrid': {
        const candidates = hybridCandidateCount(query.limit);
        const sparse = querySparseVector(query.text ?? '');
        const searches =
          sparse.indices.length > 0 ? [dense(candidates), keyword(sparse, candidates)] : [dense(candidates)];
        const [denseResponse, keywordResponse] = await this.call(searching, () =>
          this.client.queryBatch(collection, { searches }),
        );
        return fuseHybrid(
          (denseResponse?.points ?? []).map(toHit),
          (keywordResponse?.points ?? []).map(toHit),
          query.limit,
          query.fusion,
        );
      }
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.closed) return { ok: false, detail: 'closed' };
    try {
      const info = await this.client.versionInfo();
      return { ok: true, detail: `qdrant ${info.version} at ${this.options.url}` };
    } catch (error) {
      return { ok: false, detail: `qdrant at ${this.options.url}: ${mapError('health check', error).message}` };
    }
  }

  async close(): Promise<void> {
    // The client holds no connection that outlives a request's keep-alive.
    this.closed = true;
  }

  private toPoint(chunk: IndexedChunk) {
    const sparse = documentSparseVector(chunk.text, this.bm25);
    return {
      id: pointIdFor(chunk.id),
      // A text without search terms has no sparse vector at all (Qdrant allows omitting one).
      vector:
        sparse.indices.length > 0
          ? { [denseVector]: chunk.vector, [sparseVector]: sparse }
          : { [denseVector]: chunk.vector },
      payload: { ...chunk.payload, [idKey]: chunk.id, [textKey]: chunk.text },
    };
  }

  private async requireDimensions(collection: string): Promise<number> {
    validateCollectionName(collection);
    const dimensions = await this.dimensionsOf(collection);
    if (dimensions === undefined) {
      throw new VectorStoreError(VectorStoreErrorCode.CollectionNotFound, `collection "${collection}" does not exist`);
    }
    return dimensions;
  }

  /** The dense vector size, or undefined when the collection does not exist. Cached once found. */
  private async dimensionsOf(collection: string): Promise<number | undefined> {
    const known = this.dimensions.get(collection);
    if (known !== undefined) return known;
    let info: Awaited<ReturnType<QdrantClient['getCollection']>>;
    try {
      info = await this.client.getCollection(collection);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw mapError(`reading collection "${collection}"`, error);
    }
    const vectors = info.config.params.vectors as Record<string, { size?: number } | undefined> | undefined;
    const size = vectors?.[denseVector]?.size;
    if (size === undefined || !info.config.params.sparse_vectors?.[sparseVector]) {
      throw new VectorStoreError(
        VectorStoreErrorCode.InvalidRequest,
        `collection "${collection}" is not a Keel chunk collection (needs vectors "${denseVector}" and "${sparseVector}")`,
      );
    }
    this.dimensions.set(collection, size);
    return size;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw mapError(what, error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new VectorStoreError(VectorStoreErrorCode.InvalidRequest, 'the vector index is closed');
  }
}

function toHit(point: Point): VectorHit {
  const { [idKey]: id, [textKey]: text, ...payload } = (point.payload ?? {}) as Record<string, unknown>;
  return {
    id: typeof id === 'string' ? id : String(point.id),
    score: point.score,
    text: typeof text === 'string' ? text : '',
    payload: payload as Record<string, PayloadValue>,
  };
}

/** The HTTP status of a failed client call (the client throws ApiError with `status`). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function mapError(what: string, error: unknown): VectorStoreError {
  if (error instanceof VectorStoreError) return error;
  const status = statusOf(error);
  const data = (error as { data?: { status?: { error?: string } } } | null)?.data;
  const detail = data?.status?.error ?? (error instanceof Error ? error.message : String(error));
  const message = `${what} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`;
  if (status === 404) return new VectorStoreError(VectorStoreErrorCode.CollectionNotFound, message, { cause: error });
  // No status: network failure or the client's timeout. 408/429/5xx: worth retrying.
  if (status === undefined || status === 408 || status === 429 || status >= 500) {
    return new VectorStoreError(VectorStoreErrorCode.Unavailable, message, { cause: error });
  }
  if (/dimension/i.test(detail))
    return new VectorStoreError(VectorStoreErrorCode.DimensionMismatch, message, { cause: error });
  return new VectorStoreError(VectorStoreErrorCode.InvalidRequest, message, { cause: error });
}
