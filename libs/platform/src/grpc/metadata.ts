import { Metadata } from '@grpc/grpc-js';
import { GrpcCode } from '../errors/keel-error.js';
import { injectTraceContext } from '../telemetry/spans.js';

/** The tenant of a call travels in this metadata entry. */
export const tenantMetadataKey = 'x-keel-tenant-id';

/** The text entries of gRPC metadata as a plain carrier for the W3C propagator. */
export function metadataCarrier(metadata: Metadata): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') carrier[key] = value;
  }
  return carrier;
}

export function firstMetadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Outgoing metadata carrying the active trace context and, when known, the tenant. */
export function outgoingMetadata(tenantId?: string): Metadata {
  const metadata = new Metadata();
  const carrier: Record<string, string> = {};
  injectTraceContext(carrier);
  for (const [key, value] of Object.entries(carrier)) metadata.set(key, value);
  if (tenantId) metadata.set(tenantMetadataKey, tenantId);
  return metadata;
}

const codeNames = new Map<number, string>(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

/** `DEADLINE_EXCEEDED` for 4: the form the `rpc.status_code` span attribute uses. */
export function grpcCodeName(code: number): string {
  return codeNames.get(code) ?? String(code);
}

/** Server-side failures in the sense of the OpenTelemetry gRPC conventions (the rest are the caller's). */
const serverFaultCodes = new Set<number>([
  GrpcCode.UNKNOWN,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.UNIMPLEMENTED,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DATA_LOSS,
]);

export function isServerFault(code: number): boolean {
  return serverFaultCodes.has(code);
}
