/**
 * Adapter errors (Kafka, MongoDB, the vector index, a remote embedder) carry a stable `code` and a
 * `retryable` flag but are not KeelErrors: ports do not depend on the service kit. Where a service calls
 * them through `callDependency`, a retryable failure becomes `unavailable(dependency)`, so that
 * the edges answer UNAVAILABLE/503 instead of INTERNAL/500, and a failed start prints one line
 * naming the dependency.
 */
import { isKeelError, unavailable } from './keel-error.js';

export function asDependencyFailure(dependency: string, error: unknown): unknown {
  if (isKeelError(error)) return error;
  if ((error as { retryable?: unknown } | null)?.retryable !== true) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return unavailable(dependency, detail, undefined, error);
}

export async function callDependency<T>(dependency: string, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asDependencyFailure(dependency, error);
  }
}
