import { randomUUID } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/create-logger.js';
import { extractTraceContext, getMeter, getTracer } from '../telemetry/spans.js';

export const requestIdHeader = 'x-request-id';

/** The bodies createHttpApp's JSON parser reads (and whose callbacks it runs in the request's context). */
export const jsonBodies = ['application/json', 'application/*+json'];

/** An id from a proxy is kept when it is short and plain; anything else is replaced. */
const acceptableRequestId = /^[\w.:-]{1,128}$/;

/** Probes hit these every few seconds: their request lines go to debug. */
const probePaths = new Set(['/healthz', '/readyz']);

type Histogram = ReturnType<ReturnType<typeof getMeter>['createHistogram']>;
let requestDuration: Histogram | undefined;

/**
 * RED metrics per route: the semantic-convention histogram, whose count gives the rate and whose
 * status attribute gives the errors. Created on first use, after telemetry has installed its meter.
 */
function recordRequestDuration(seconds: number, attributes: Record<string, string | number>): void {
  requestDuration ??= getMeter().createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests',
    unit: 's',
  });
  requestDuration.record(seconds, attributes);
}

export function requestIdOf(res: Response): string | undefined {
  const value = res.locals.requestId;
  return typeof value === 'string' ? value : undefined;
}

function routeOf(req: Request): string | undefined {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : undefined;
}

function tenantOf(res: Response): string | undefined {
  const principal: unknown = res.locals.principal;
  if (typeof principal !== 'object' || principal === null) return undefined;
  const tenantId = (principal as { tenantId?: unknown }).tenantId;
  return typeof tenantId === 'string' ? tenantId : undefined;
}

/**
 * The first middleware: gives the request an id, opens a SERVER span that continues the
 * caller's W3C trace, makes it the active context for everything downstream (including the body
 * parser's stream callbacks) and logs one line when the response is done.
 */
export function requestContext(serviceName: string, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incomingId = req.get(requestIdHeader);
    const requestId = incomingId && acceptableRequestId.test(incomingId) ? incomingId : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader(requestIdHeader, requestId);

    const parent = extractTraceContext(req.headers);
    const span = getTracer().startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: req.method,
          [ATTR_URL_PATH]: req.path,
          'keel.service': serviceName,
          'keel.request_id': requestId,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // Body chunks arrive from the socket, outside this async scope. body-parser restores the
    // context for the JSON bodies it reads; a route that reads any other body from the stream
    // (uploads, multipart parsers) gets the request bound to it. Binding an emitter wraps every
    // listener added to it, node's own included: for every JSON request, and on the response,
    // it cost about a tenth of a gateway request's CPU. Listeners on the response that log or
    // trace enter the context themselves (the two below do).
    if (req.is(jsonBodies) === false) context.bind(active, req);

    const startedAt = performance.now();
    let finished = false;
    const finish = (aborted: boolean) => {
      if (finished) return;
      finished = true;
      const route = routeOf(req);
      const status = res.statusCode;
      span.updateName(route ? `${req.method} ${route}` : req.method);
      if (route) span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (aborted) span.setAttribute('keel.request_aborted', true);
      const fields = {
        method: req.method,
        path: req.path,
        route,
        status,
        duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
        request_id: requestId,
        tenant_id: tenantOf(res),
      };
      recordRequestDuration(fields.duration_ms / 1000, {
        [ATTR_HTTP_REQUEST_METHOD]: req.method,
        [ATTR_HTTP_ROUTE]: route ?? 'unmatched',
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        'keel.service': serviceName,
      });
      context.with(active, () => {
        if (aborted) logger.warn(fields, 'request aborted by the client');
        else if (probePaths.has(req.path)) logger.debug(fields, 'request completed');
        else logger.info(fields, 'request completed');
      });
      span.end();
    };
    res.once('finish', () => finish(false));
    res.once('close', () => finish(!res.writableFinished));

    context.with(active, next);
  };
}
