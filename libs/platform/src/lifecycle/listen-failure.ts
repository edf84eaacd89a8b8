import { GrpcCode, KeelError } from '../errors/keel-error.js';

/** Codes of errors that stop a service from starting for a reason an operator can fix. */
export const StartupCode = {
  addressInUse: 'STARTUP.ADDRESS_IN_USE',
  listenFailed: 'STARTUP.LISTEN_FAILED',
} as const;

/**
 * A server could not listen. The usual causes (port taken, no permission, unknown host) are
 * configuration problems, so the message says which address and what to change, in one line.
 */
export function listenFailure(kind: 'HTTP' | 'gRPC', host: string, port: number, cause: unknown): KeelError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  const address = `${host}:${port}`;
  const inUse = errno === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(message);
  const detail = inUse
    ? `cannot listen for ${kind} on ${address}: the address is already in use (another process has the port)`
    : `cannot listen for ${kind} on ${address}: ${message}`;
  return new KeelError(detail, {
    code: inUse ? StartupCode.addressInUse : StartupCode.listenFailed,
    httpStatus: 500,
    grpcCode: GrpcCode.UNAVAILABLE,
    retryable: false,
    cause,
  });
}
