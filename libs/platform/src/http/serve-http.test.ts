import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness } from '../health/readiness.js';
import { createTestLogger } from '../testing/test-logger.js';
import { serveHttp } from './serve-http.js';
import type { RunningHttpServer } from './start-http-server.js';

let server: RunningHttpServer;
beforeAll(async () => {
  const router = Router();
  router.get('/v1/ping', (_req, res) => {
    res.json({ pong: true });
  });
  server = await serveHttp({
    serviceName: 'serve-test',
    logger: createTestLogger('serve-test').logger,
    readiness: new Readiness(),
    port: 0,
    host: '127.0.0.1',
    handlers: [router],
  });
});

afterAll(async () => {
  await server?.close();
});

describe('serveHttp', () => {
  it('serves the kit routes, the handlers given, and problem+json for the rest', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/v1/ping`)).json()).toEqual({ pong: true });
    const missing = await fetch(`${server.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});
