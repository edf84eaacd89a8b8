import { randomBytes } from 'node:crypto';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_COLLECTION, BlobStore } from './blob-store.js';
import { hostAllowed } from './document-files.js';

const store = createEmbeddedDocumentStore({ path: ':memory:' });
afterEach(async () => {
  await (await store.collection(BLOB_COLLECTION)).deleteMany({});
});

describe('BlobStore: uploads kept in the document store between the 202 and the pipeline', () => {
  it('keeps a file larger than one part (a 25 MB upload is 7 parts) and gives it back whole', async () => {
    const blobs = await BlobStore.open(store);
    const bytes = new Uint8Array(randomBytes(9 * 1024 * 1024 + 17));
    const ref = await blobs.put('acme', bytes);
    expect(ref.size).toBe(bytes.length);
    expect(await (await store.collection(BLOB_COLLECTION)).count({ blobId: ref.blobId })).toBe(3);
    expect(Buffer.from((await blobs.get('acme', ref.blobId)) as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    // Tenant-scoped: another tenant's id finds nothing.
    expect(await blobs.get('globex', ref.blobId)).toBeNull();
    await blobs.delete('acme', ref.blobId);
    expect(await blobs.get('acme', ref.blobId)).toBeNull();
  });

  it('answers null for a blob with a missing or altered part, and for one past its time to live', async () => {
    const blobs = await BlobStore.open(store);
    const ref = await blobs.put('acme', new Uint8Array(randomBytes(5 * 1024 * 1024)));
    const parts = await store.collection<{ id: string; data: string }>(BLOB_COLLECTION);
    const second = (await parts.get(`acme/${ref.blobId}/1`)) as { id: string; data: string };
    await parts.upsert({ ...second, data: Buffer.from('tampered').toString('base64') });
    expect(await blobs.get('acme', ref.blobId)).toBeNull();
    await parts.delete(`acme/${ref.blobId}/1`);
    expect(await blobs.get('acme', ref.blobId)).toBeNull();
    const small = await blobs.put('acme', new Uint8Array([1, 2, 3]));
    expect(await blobs.get('acme', small.blobId)).toEqual(new Uint8Array([1, 2, 3]));
    // Written a day ago with a one-hour time to live: the store's expiry hides it.
    const stale = await BlobStore.open(store, { ttlMs: 3_600_000, now: () => Date.now() - 86_400_000 });
    const old = await stale.put('acme', new Uint8Array([4, 5, 6]));
    expect(await blobs.get('acme', old.blobId)).toBeNull();
  });
});

describe('hostAllowed: the INGEST_FETCH_HOSTS allow-list', () => {
  it('matches exact names and *.domain subdomains, nothing else', () => {
    expect(hostAllowed('docs.example.com', ['docs.example.com'])).toBe(true);
    expect(hostAllowed('DOCS.example.com', ['docs.example.com'])).toBe(true);
    expect(hostAllowed('a.b.example.com', ['*.example.com'])).toBe(true);
    expect(hostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('evil-example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('docs.example.com.evil.net', ['docs.example.com'])).toBe(false);
    expect(hostAllowed('anything', [])).toBe(false);
  });
});
