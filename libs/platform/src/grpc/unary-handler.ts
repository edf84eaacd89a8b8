import type { handleUnaryCall, Metadata } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { toGrpcStatus } from '../errors/grpc-status.js';
import { KeelError } from '../errors/keel-error.js';
import type { Logger } from '../logging/create-logger.js';
import { extractTraceContext, getTracer } from '../telemetry/spans.js';
import { firstMetadataValue, grpcCodeName, isServerFault, metadataCarrier, tenantMetadataKey } from './metadata.js';

export interface GrpcCallContext {
  /** From the `x-keel-tenant-id` metadata entry, when the caller sent one. */
  tenantId?: string;
  metadata: Metadata;
  deadline?: Date;
  /** Aborted when the caller cancels or the deadline passes: stop work nobody waits for. */
  signal: AbortSignal;
}

function deadlineOf(deadline: Date | number): Date | undefined {
  const millis = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(millis) ? new Date(millis) : undefined;
}

/**
 * Adapts an async function to a grpc-js unary handler: a SERVER span continuing the caller's
 * W3C trace from the metadata, the tenant and deadline in a call context, and errors mapped at
 * this edge: a KeelError becomes its gRPC status with its message and `x-keel-error-code` (and
 * its violations) in the trailers; anything else becomes INTERNAL without internals.
 */
export function unaryHandler<Req, Res>(
  logger: Logger,
  handler: (request: Req, call: GrpcCallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const method = call.getPath().replace(/^\//, '');
    const tenantId = firstMetadataValue(call.metadata, tenantMetadataKey);
    const parent = extractTraceContext(metadataCarrier(call.metadata), ROOT_CONTEXT);
    const span = getTracer().startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_RPC_SYSTEM_NAME]: 'grpc',
          [ATTR_RPC_METHOD]: method,
          ...(tenantId ? { 'keel.tenant_id': tenantId } : {}),
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    const controller = new AbortController();
    call.once('cancelled', () => controller.abort(new Error(`${method} was cancelled by the caller`)));
    const callContext: GrpcCallContext = { metadata: call.metadata, signal: controller.signal };
    if (tenantId) callContext.tenantId = tenantId;
    const deadline = deadlineOf(call.getDeadline());
    if (deadline) callContext.deadline = deadline;
    const startedAt = performance.now();
    const elapsed = () => Math.round((performance.now() - startedAt) * 10) / 10;

    context
      .with(active, async () => handler(call.request, callContext))
      .then(
        (response) => {
          span.setAttribute(ATTR_RPC_STATUS_CODE, 'OK');
          context.with(active, () =>
            logger.debug({ method, duration_ms: elapsed(), tenant_id: tenantId }, 'rpc completed'),
          );
          span.end();
          callback(null, response);
        },
        (error: unknown) => {
          const status = toGrpcStatus(error);
          const codeName = grpcCodeName(status.code);
          span.setAttribute(ATTR_RPC_STATUS_CODE, codeName);
          const fields = {
            method,
            status: codeName,
            code: error instanceof KeelError ? error.code : undefined,
            duration_ms: elapsed(),
            tenant_id: tenantId,
          };
          context.with(active, () => {
            if (!(error instanceof KeelError)) logger.error({ ...fields, err: error }, 'rpc failed');
            else if (isServerFault(status.code)) logger.warn({ ...fields, detail: error.message }, 'rpc failed');
            else logger.info({ ...fields, detail: error.message }, 'rpc rejected');
          });
          if (isServerFault(status.code) || !(error instanceof KeelError)) {
            if (error instanceof Error) span.recordException(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
          }
          span.end();
          callback({ code: status.code, details: status.details, metadata: status.metadata });
        },
      );
  };
}
