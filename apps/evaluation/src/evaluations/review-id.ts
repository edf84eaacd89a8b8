import { createHash } from 'node:crypto';

/**
 * The review id of a (tenant, request, reason): a UUIDv8 (RFC 9562's custom-hash layout) over a
 * SHA-256, so the same low score always asks for the same review and human-review queues it
 * once, however often the inference event is delivered.
 */
export function reviewIdFor(tenantId: string, requestId: string, reason: string): string {
  const hash = createHash('sha256').update(`keel-review\0${tenantId}\0${requestId}\0${reason}`).digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
