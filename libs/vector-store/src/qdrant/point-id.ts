import { createHash } from 'node:crypto';

// Fixed namespace for Keel chunk ids (a random v4 UUID, chosen once; changing it re-keys
// every stored point).
const keelChunkNamespace = Buffer.from('8f1d6c2a4b7e4e0f9a3c5d2b1e6f7a80', 'hex');

/**
 * Qdrant point ids must be unsigned integers or UUIDs. Keel chunk ids are free-form strings,
 * so each maps to a name-based UUID (RFC 4122 version 5: SHA-1 of namespace and name): the
 * same chunk id always lands on the same point, which makes re-upserts replace. The original
 * id travels in the payload.
 */
export function pointIdFor(chunkId: string): string {
  const hash = createHash('sha1').update(keelChunkNamespace).update(chunkId, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
