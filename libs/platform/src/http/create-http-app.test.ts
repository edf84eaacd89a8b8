import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { conflict } from '../errors/keel-error.js';
import { Readiness } from '../health/readiness.js';
import { currentTraceId, getTracer, inActiveContext } from '../telemetry/spans.js';
import { startTelemetry } from '../telemetry/start-telemetry.js';
import { createTestLogger } from '../testing/test-logger.js';
import { startTestTelemetry } from '../testing/test-telemetry.js';
import { createStaticApiKeyResolver, principalOf, requireApiKey } from './api-keys.js';
import { asyncRoute } from './async-route.js';
import { createHttpApp, finishHttpApp } from './create-http-app.js';
import { parseBody } from './parse-body.js';
import { type RunningHttpServer, startHttpServer } from './start-http-server.js';

const telemetry = startTelemetry({ serviceName: 'http-test' });
const recorder = startTestTelemetry();
const { logger, lines } = createTestLogger('http-test');
const readiness = new Readiness();
let storeUp = true;
readiness.register('store', async () => ({ ok: storeUp, detail: storeUp ? 'reachable' : 'connection refused' }));

const documentSchema = z.object({
  text: z.string().min(1),
  title: z.string().optional(),
  topK: z.number().int().max(50).optional(),
});
const seenTraceIds: (string | undefined)[] = [];

let server: RunningHttpServer;
beforeAll(async () => {
  const app = createHttpApp({ serviceName: 'http-test', logger, readiness, bodyLimit: '1kb' });
  const auth = requireApiKey(createStaticApiKeyResolver([{ key: 'good-key', tenantId: 'acme', aclGroups: ['ops'] }]));
  app.post(
    '/v1/documents',
    auth,
    asyncRoute(async (req, res) => {
      seenTraceIds.push(currentTraceId());
      const body = parseBody(documentSchema, req.body);
      logger.info({ title: body.title }, 'document accepted');
      res.status(202).json({ tenantId: principalOf(res).tenantId, length: body.text.length });
    }),
  );
  // Reads the stream itself, like a multipart parser would, instead of relying on body-parser.
  app.post('/v1/uploads', (req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on('end', () => {
      seenTraceIds.push(currentTraceId());
      res.json({ size });
    });
  });
  app.post(
    '/v1/leases/:id',
    asyncRoute(async (req) => {
      throw conflict(`lease ${req.params.id} is held`, 'REVIEW.LEASE_HELD');
    }),
  );
  app.get(
    '/v1/bug',
    asyncRoute(async () => {
      throw new Error('SELECT * FROM secrets failed');
    }),
  );
  finishHttpApp(app);
  server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server.close();
  recorder.stop();
  await telemetry.shutdown();
});

const bearer = { authorization: 'Bearer good-key' };
function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer, ...headers },
    body,
  });
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `urn:keel:problem:${code}` });
  expect(problem.requestId).toBe(response.headers.get('x-request-id'));
  return problem;
}

describe('createHttpApp', () => {
  it('serves liveness and readiness following the checks', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'http-test' });

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: { ok: true, detail: 'reachable' } } });

    storeUp = false;
    try {
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ status: 'not ready', checks: { store: { ok: false } } });
    } finally {
      storeUp = true;
    }
  });

  it('accepts a valid authenticated request and exposes the principal', async () => {
    const response = await post('/v1/documents', JSON.stringify({ text: 'hello' }));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ tenantId: 'acme', length: 5 });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a sane x-request-id from the caller and replaces a hostile one', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-1234');
    const replaced = await fetch(`${server.url}/healthz`, {
      headers: { 'x-request-id': `<script>${'x'.repeat(200)}` },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with a 400 HTTP.MALFORMED_JSON problem', async () => {
    const problem = await expectProblem(await post('/v1/documents', '{"text": '), 400, 'HTTP.MALFORMED_JSON');
    expect(problem.detail).toBe('the request body is not valid JSON');
  });

  it('names each invalid field in the errors and the detail', async () => {
    const problem = await expectProblem(
      await post('/v1/documents', JSON.stringify({ title: 7, topK: 51 })),
      400,
      'REQUEST.INVALID',
    );
    expect(problem.errors).toEqual([
      { field: 'text', message: 'Required' },
      { field: 'title', message: expect.stringContaining('expected string') },
      { field: 'topK', message: expect.stringContaining('50') },
    ]);
    expect(problem.detail).toMatch(/^invalid request body: text: Required; title: .+; topK: .+/);
    expect(problem.instance).toBe('/v1/documents');
  });

  it('says clearly that a JSON body is needed when the content type is wrong', async () => {
    const problem = await expectProblem(
      await post('/v1/documents', 'text=hello', { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'HTTP.JSON_BODY_REQUIRED',
    );
    expect(problem.detail).toContain('Content-Type: application/json');
  });

  it('rejects a body over the limit with 413', async () => {
    await expectProblem(
      await post('/v1/documents', JSON.stringify({ text: 'x'.repeat(2000) })),
      413,
      'HTTP.BODY_TOO_LARGE',
    );
  });

  it('rejects a missing API key and an unknown one with 401 problems', async () => {
    const missing = await fetch(`${server.url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"x"}',
    });
    await expectProblem(missing, 401, 'AUTH.MISSING_API_KEY');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectProblem(
      await post('/v1/documents', '{"text":"x"}', { authorization: 'Bearer wrong-key' }),
      401,
      'AUTH.UNKNOWN_API_KEY',
    );
    expect(JSON.stringify(lines())).not.toContain('wrong-key');
    expect(JSON.stringify(lines())).not.toContain('good-key');
  });

  it('maps a KeelError to its status and code, and an unknown route to 404', async () => {
    await expectProblem(await post('/v1/leases/l1', '{}'), 409, 'REVIEW.LEASE_HELD');
    const problem = await expectProblem(await fetch(`${server.url}/v1/nothing-here`), 404, 'HTTP.ROUTE_NOT_FOUND');
    expect(problem.detail).toBe('route GET /v1/nothing-here not found');
  });

  it('hides a bug behind a generic 500 and logs the stack', async () => {
    const problem = await expectProblem(await fetch(`${server.url}/v1/bug`), 500, 'INTERNAL');
    expect(JSON.stringify(problem)).not.toContain('secrets');
    const logged = lines().find((line) => line.msg === 'request failed');
    expect(JSON.stringify(logged)).toContain('SELECT * FROM secrets failed');
  });

  it('continues the caller’s trace: the handler, the logs and the server span share its trace id', async () => {
    const traceId = '4bf92f3577b34e0ea8cb4f0d1c1b1f2a';
    const parentSpanId = '00f067aa0ba902b7';
    seenTraceIds.length = 0;
    const response = await post('/v1/documents', JSON.stringify({ text: 'traced', title: 't' }), {
      traceparent: `00-${traceId}-${parentSpanId}-01`,
    });
    expect(response.status).toBe(202);
    expect(seenTraceIds).toEqual([traceId]);

    const accepted = lines().find((line) => line.msg === 'document accepted' && line.title === 't');
    expect(accepted?.trace_id).toBe(traceId);
    const span = await recorder.waitForSpan(
      (candidate) => candidate.spanContext().traceId === traceId && candidate.name === 'POST /v1/documents',
    );
    expect(span.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(span.attributes).toMatchObject({ 'http.route': '/v1/documents', 'http.response.status_code': 202 });
    const completed = lines().find((line) => line.msg === 'request completed' && line.trace_id === traceId);
    expect(completed).toMatchObject({
      status: 202,
      route: '/v1/documents',
      tenant_id: 'acme',
      span_id: span.spanContext().spanId,
    });
  });

  it('keeps the trace when the body arrives in pieces after the headers', async () => {
    const slowBody = () => {
      const encoder = new TextEncoder();
      return new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('{"text":'));
          await new Promise((resolve) => setTimeout(resolve, 50));
          controller.enqueue(encoder.encode('"slow"}'));
          controller.close();
        },
      });
    };
    for (const path of ['/v1/documents', '/v1/uploads']) {
      const traceId =
        path === '/v1/documents' ? '5bf92f3577b34e0ea8cb4f0d1c1b1f2b' : '6bf92f3577b34e0ea8cb4f0d1c1b1f2c';
      seenTraceIds.length = 0;
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          // The upload route reads the raw stream, so body-parser must leave it alone.
          'content-type': path === '/v1/documents' ? 'application/json' : 'application/octet-stream',
          ...bearer,
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: slowBody(),
        duplex: 'half',
      } as RequestInit);
      expect(response.ok).toBe(true);
      expect(seenTraceIds).toEqual([traceId]);
    }
  });

  it('runs a function bound with inActiveContext in the trace it was bound in, called from anywhere', () => {
    let bound: (() => string | undefined) | undefined;
    let traceId = '';
    getTracer().startActiveSpan('bind', (span) => {
      traceId = span.spanContext().traceId;
      bound = inActiveContext(() => currentTraceId());
      span.end();
    });
    expect(currentTraceId()).toBeUndefined();
    expect(bound?.()).toBe(traceId);
  });

  it('starts a new trace when the caller sends none', async () => {
    seenTraceIds.length = 0;
    await post('/v1/documents', JSON.stringify({ text: 'fresh' }));
    expect(seenTraceIds[0]).toMatch(/^[0-9a-f]{32}$/);
  });
});
