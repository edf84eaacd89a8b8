/**
 * Name-based UUIDs (RFC 9562 version 5): equal names give equal ids, so a redelivered or retried
 * request maps to the same review. Built on node:crypto rather than the uuid package, whose
 * hoisted copy in this workspace is not the version the contracts declare.
 */
import { createHash } from 'node:crypto';

export function nameBasedUuid(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`not a UUID namespace: ${namespace}`);
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
