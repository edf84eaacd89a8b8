/**
 * Serving the console's build over real HTTP: index.html with its security headers and no-cache,
 * hashed assets cached for a year, client routes falling back to index.html, the API and health
 * checks untouched, and a 503 naming the build command before the console is built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readiness, type RunningHttpServer, serveHttp } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_BUILD_COMMAND, consoleRoutes } from './console-static.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-3f9a.js"></script></head></html>';

let root: string;
let built: RunningHttpServer;
let unbuilt: RunningHttpServer;

async function serve(dir: string): Promise<RunningHttpServer> {
  return serveHttp({
    serviceName: 'human-review',
    logger: createTestLogger('human-review').logger,
    readiness: new Readiness(),
    port: 0,
    host: '127.0.0.1',
    handlers: [consoleRoutes({ dir })],
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'review-console-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'app-3f9a.js'), 'console.log("console");');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  built = await serve(dist);
  unbuilt = await serve(join(root, 'missing'));
});

afterAll(async () => {
  await built?.close();
  await unbuilt?.close();
  rmSync(root, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

function expectHtmlHeaders(response: Response): void {
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-cache');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('same-origin');
}

describe('the console at /', () => {
  it('serves index.html at / with a strict CSP, revalidated on every load', async () => {
    const response = await fetch(`${built.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    expectHtmlHeaders(response);
  });

  it('caches hashed assets for a year and other files normally', async () => {
    const asset = await fetch(`${built.url}/assets/app-3f9a.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const icon = await fetch(`${built.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).not.toContain('immutable');
  });

  it("answers the console's own routes with index.html when a browser navigates to them", async () => {
    const response = await fetch(`${built.url}/queues/default/items/rev-1`, { headers: html });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    expectHtmlHeaders(response);
  });

  it('answers a missing script, a missing asset and a non-GET with 404, not a page', async () => {
    expect((await fetch(`${built.url}/missing.js`, { headers: { accept: '*/*' } })).status).toBe(404);
    expect((await fetch(`${built.url}/assets/gone-1234.js`, { headers: html })).status).toBe(404);
    expect((await fetch(`${built.url}/queues`, { method: 'POST', headers: html })).status).toBe(404);
  });

  it('leaves /v1 and the health checks to the API', async () => {
    const api = await fetch(`${built.url}/v1/unknown`, { headers: html });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/problem\+json/);
    const health = await fetch(`${built.url}/healthz`, { headers: html });
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('answers 503 CONSOLE.NOT_BUILT naming the build command while there is no build', async () => {
    const response = await fetch(`${unbuilt.url}/`);
    const body = (await response.json()) as { code: string; detail: string };
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(body.code).toBe('CONSOLE.NOT_BUILT');
    expect(body.detail).toContain(CONSOLE_BUILD_COMMAND);
    expect((await fetch(`${unbuilt.url}/queues`, { headers: html })).status).toBe(503);
  });
});
