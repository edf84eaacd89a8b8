/**
 * The chunk layout ingestion writes, by convention (see apps/ingestion's chunk-payload.ts): one
 * collection per embedding width, a flat payload, `meta.<key>` per metadata entry, and `*` in
 * `aclGroups` for chunks the whole tenant may read.
 */
import type { PayloadValue } from '@keel/vector-store';

export const OPEN_TO_TENANT = '*';

export function chunkCollectionName(dimensions: number): string {
  return `keel_chunks_${dimensions}`;
}

export function metadataKey(key: string): string {
  return `meta.${key}`;
}

export function stringField(payload: Record<string, PayloadValue>, key: string): string {
  const value = payload[key];
  return typeof value === 'string' ? value : '';
}

export function integerField(payload: Record<string, PayloadValue>, key: string): number {
  const value = payload[key];
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

export function stringListField(payload: Record<string, PayloadValue>, key: string): string[] {
  const value = payload[key];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}
