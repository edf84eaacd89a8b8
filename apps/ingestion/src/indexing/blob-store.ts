/**
 * Uploaded files wait here between the 202 and the pipeline: a 25 MB PDF does not fit a Kafka
 * message (1 MB by default) nor one MongoDB document (16 MB), so the request published on
 * `keel.ingest.requested.v1` carries a reference and the bytes are kept in the document store in
 * parts. Every replica reaches the same store (a data directory would not be shared). A blob is
 * deleted when its job is finished; one whose job never finishes (dead-lettered, never replayed)
 * expires after `ttlMs`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Collection, DocumentStore } from '@keel/doc-store';

/** Raw bytes per part: 4 MiB is 5.6 MB in base64, well inside a MongoDB document. */
const PART_BYTES = 4 * 1024 * 1024;

export const BLOB_COLLECTION = 'ingestion_blobs';

export const DEFAULT_BLOB_TTL_MS = 7 * 24 * 60 * 60 * 1000;

interface BlobPart {
  /** `<tenantId>/<blobId>/<part>`. */
  id: string;
  tenantId: string;
  blobId: string;
  part: number;
  parts: number;
  size: number;
  sha256: string;
  data: string;
  expiresAt: number;
}

export interface BlobRef {
  blobId: string;
  size: number;
  sha256: string;
}

export class BlobStore {
  private constructor(
    private readonly parts: Collection<BlobPart>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  static async open(store: DocumentStore, options: { ttlMs?: number; now?: () => number } = {}): Promise<BlobStore> {
    const parts = await store.collection<BlobPart>(BLOB_COLLECTION, {
      indexes: [{ fields: ['tenantId', 'blobId'] }],
      ttlField: 'expiresAt',
    });
    return new BlobStore(parts, options.ttlMs ?? DEFAULT_BLOB_TTL_MS, options.now ?? Date.now);
  }

  async put(tenantId: string, bytes: Uint8Array): Promise<BlobRef> {
    const blobId = randomUUID();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
    const expiresAt = this.now() + this.ttlMs;
    for (let part = 0; part < parts; part += 1) {
      const slice = bytes.subarray(part * PART_BYTES, (part + 1) * PART_BYTES);
      await this.parts.upsert({
        id: `${tenantId}/${blobId}/${part}`,
        tenantId,
        blobId,
        part,
        parts,
        size: bytes.length,
        sha256,
        data: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64'),
        expiresAt,
      });
    }
    return { blobId, size: bytes.length, sha256 };
  }

  /** The bytes, checked against their digest; null when the blob is gone (expired or deleted). */
  async get(tenantId: string, blobId: string): Promise<Uint8Array | null> {
    const first = await this.parts.get(`${tenantId}/${blobId}/0`);
    if (!first) return null;
    const buffers = [Buffer.from(first.data, 'base64')];
    for (let part = 1; part < first.parts; part += 1) {
      const next = await this.parts.get(`${tenantId}/${blobId}/${part}`);
      if (!next) return null;
      buffers.push(Buffer.from(next.data, 'base64'));
    }
    const bytes = Buffer.concat(buffers);
    if (bytes.length !== first.size || createHash('sha256').update(bytes).digest('hex') !== first.sha256) return null;
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async delete(tenantId: string, blobId: string): Promise<void> {
    await this.parts.deleteMany({ tenantId, blobId });
  }
}
