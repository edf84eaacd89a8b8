/**
 * Requests an attacker or a broken client sends: each is the caller's mistake, answered with a
 * 4xx problem that says what was wrong, logged below error level, never a 500 with a stack.
 */
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Readiness } from '../health/readiness.js';
import { createTestLogger } from '../testing/test-logger.js';
import { asyncRoute } from './async-route.js';
import { parseBody } from './parse-body.js';
import { serveHttp } from './serve-http.js';
import type { RunningHttpServer } from './start-http-server.js';

const { logger, lines } = createTestLogger('hostile-test');
let server: RunningHttpServer;

beforeAll(async () => {
  const router = express.Router();
  router.get(
    '/v1/jobs/:id',
    asyncRoute(async (req, res) => {
      res.json({ id: req.params.id });
    }),
  );
  router.delete('/v1/jobs/:id', (_req, res) => {
    res.status(204).end();
  });
  router.post(
    '/v1/jobs',
    asyncRoute(async (req, res) => {
      res.status(202).json(parseBody(z.object({ text: z.string() }), req.body));
    }),
  );
  server = await serveHttp({
    serviceName: 'hostile-test',
    logger,
    readiness: new Readiness(),
    port: 0,
    handlers: [router],
  });
});

afterAll(() => server.close());

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  return (await response.json()) as { status: number; code: string; detail: string; errors?: unknown[] };
}

const errorLines = () => lines().filter((line) => line.level === 'error' || line.level === 'fatal');

describe('hostile requests', () => {
  it('answers malformed percent-encoding in a path parameter with 400, not a 500', async () => {
    const response = await fetch(`${server.url}/v1/jobs/%ZZ`);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe('HTTP.MALFORMED_PATH');
    expect(problem.detail).toMatch(/percent-encoding/);
    expect(errorLines()).toEqual([]);
  });

  it('answers a body declared gzip that is not gzip with 400', async () => {
    const response = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{"text":"plain, not gzip"}',
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).code).toBe('HTTP.MALFORMED_BODY_ENCODING');
    expect(errorLines()).toEqual([]);
  });

  it('still reads a body that really is gzip', async () => {
    const response = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"text":"zipped"}'),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ text: 'zipped' });
  });

  it.each([
    ['null', 'null'],
    ['"a string"', 'a string'],
    ['42', 'a number'],
    ['[1,2]', 'an array'],
  ])('says a JSON body of %s must be an object', async (body, received) => {
    const response = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.code).toBe('HTTP.BODY_NOT_OBJECT');
    expect(problem.detail).toContain(`must be a JSON object, received ${received}`);
  });

  it('still calls broken JSON not valid JSON', async () => {
    const response = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":',
    });
    expect((await problemOf(response)).code).toBe('HTTP.MALFORMED_JSON');
  });

  it('answers a wrong method with 405 and the methods the path has', async () => {
    const response = await fetch(`${server.url}/v1/jobs/j1`, { method: 'PUT' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('DELETE, GET, HEAD');
    expect((await problemOf(response)).code).toBe('HTTP.METHOD_NOT_ALLOWED');
    const collection = await fetch(`${server.url}/v1/jobs`, { method: 'GET' });
    expect(collection.status).toBe(405);
    expect(collection.headers.get('allow')).toBe('POST');
  });

  it('keeps 404 for paths nobody serves', async () => {
    const response = await fetch(`${server.url}/v1/nothing`, { method: 'PUT' });
    expect(response.status).toBe(404);
  });

  it('binds to loopback unless told otherwise', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});
