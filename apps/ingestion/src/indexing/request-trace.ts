/**
 * The trace each request of a batch belongs to. A batch from the bus is processed together, but
 * what one request causes (its job updates, its outcome event) must stay on the trace of the
 * event that asked for it, as when requests were processed one at a time; the consumer binds
 * each request to its event's trace scope, and the pipeline runs that request's own steps in it.
 */
import type { IngestRequest } from './ingest-request.js';

export type TraceScope = <T>(work: () => Promise<T>) => Promise<T>;

const scopes = new WeakMap<IngestRequest, TraceScope>();

export function bindTraceScope(request: IngestRequest, scope: TraceScope): IngestRequest {
  scopes.set(request, scope);
  return request;
}

/** Runs `work` in the request's trace scope; in the active context when it has none (HTTP, tests). */
export function inRequestTrace<T>(request: IngestRequest, work: () => Promise<T>): Promise<T> {
  const scope = scopes.get(request);
  return scope ? scope(work) : work();
}
