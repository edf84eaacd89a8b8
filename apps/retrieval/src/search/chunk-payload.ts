/**
 * Typed reads of the chunk payload ingestion writes (layout: `@keel/vector-store`'s chunk-layout);
 * a missing or mistyped field reads as empty rather than failing the whole search.
 */
import type { PayloadValue } from '@keel/vector-store';

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
