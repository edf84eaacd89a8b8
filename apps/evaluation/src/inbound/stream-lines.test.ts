import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { streamLines } from './stream-lines.js';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Serves one route streaming `lines`; a failure before the first line answers 500. */
async function serve(lines: () => AsyncGenerator<string>): Promise<string> {
  const app = express();
  app.get('/export', (_req, res, next) => {
    streamLines(res, lines(), 'application/x-ndjson', 'data.jsonl').catch(next);
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ failed: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/export`;
}

describe('streamLines', () => {
  it('streams every line with the type and a file name', async () => {
    const url = await serve(async function* () {
      for (let index = 0; index < 1_000; index++) yield `{"n":${index}}\n`;
    });
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    expect(response.headers.get('content-disposition')).toContain('data.jsonl');
    const lines = (await response.text()).trim().split('\n');
    expect(lines).toHaveLength(1_000);
    expect(JSON.parse(lines[999] as string)).toEqual({ n: 999 });
  });

  it('answers an error before the first line as an error', async () => {
    const url = await serve(async function* () {
      yield* [];
      throw new Error('store down');
    });
    const response = await fetch(url);
    expect(response.status).toBe(500);
  });

  it('cuts the connection when it fails after the first line, so a partial export never looks whole', async () => {
    const url = await serve(async function* () {
      yield '{"n":0}\n';
      throw new Error('store down');
    });
    // Whether the headers made it out first or not, the client gets a failure, never a clean end.
    await expect(fetch(url).then((response) => response.text())).rejects.toThrow();
  });
});
