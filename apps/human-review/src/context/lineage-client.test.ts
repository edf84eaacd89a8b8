import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isKeelError } from '@keel/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineageClient, parseEvaluationApiKeys } from './lineage-client.js';

/** Evaluation's lineage route as far as the proxy sees it: the key decides the tenant. */
let server: Server;
let baseUrl: string;
const seen: { url: string; authorization: string | undefined }[] = [];

function evaluation(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
  const requestId = decodeURIComponent((req.url ?? '').replace('/v1/lineage/answers/', ''));
  if (req.headers.authorization !== 'Bearer acme-eval-key') {
    res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"code":"AUTH.INVALID_API_KEY"}');
  } else if (requestId === 'slow') {
    // Never answers: the proxy's timeout must.
  } else if (requestId === 'broken') {
    res.writeHead(500).end('boom');
  } else if (requestId === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
  } else if (requestId === 'req 1/a') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ requestId, answer: 'For 30 days.' }));
  } else {
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"code":"LINEAGE.NOT_FOUND"}');
  }
}

beforeAll(async () => {
  server = createServer(evaluation);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const keys = new Map([
  ['acme', 'acme-eval-key'],
  ['globex', 'wrong-key'],
]);

async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isKeelError(error)) throw new Error(`expected a KeelError, got ${String(error)}`);
  return { code: error.code, status: error.httpStatus, message: error.message };
}

describe('the lineage proxy client', () => {
  // Generous, so that a loaded machine does not time out answers that come; `impatient` tests the timeout.
  const client = () => createLineageClient({ baseUrl, apiKeys: keys, timeoutMs: 10_000 });
  const impatient = () => createLineageClient({ baseUrl, apiKeys: keys, timeoutMs: 200 });

  it("asks evaluation with the item's tenant's key and returns its view as is", async () => {
    expect(await client().answerLineage('acme', 'req 1/a')).toEqual({ requestId: 'req 1/a', answer: 'For 30 days.' });
    expect(seen.at(-1)).toEqual({ url: '/v1/lineage/answers/req%201%2Fa', authorization: 'Bearer acme-eval-key' });
  });

  it('answers 404 LINEAGE.NOT_FOUND for a request evaluation does not know', async () => {
    expect(await failure(client().answerLineage('acme', 'unknown'))).toMatchObject({
      code: 'LINEAGE.NOT_FOUND',
      status: 404,
    });
    expect(await failure(client().answerLineage('acme', ''))).toMatchObject({ status: 404 });
  });

  it('answers 503 LINEAGE.UNAVAILABLE when evaluation fails, times out, is down or refuses the key', async () => {
    for (const requestId of ['broken', 'garbage', 'slow']) {
      expect(await failure(impatient().answerLineage('acme', requestId))).toMatchObject({
        code: 'LINEAGE.UNAVAILABLE',
        status: 503,
      });
    }
    expect((await failure(impatient().answerLineage('acme', 'slow'))).message).toContain('within 200 ms');
    expect(await failure(client().answerLineage('globex', 'req 1/a'))).toMatchObject({ code: 'LINEAGE.UNAVAILABLE' });
    const down = createLineageClient({ baseUrl: 'http://127.0.0.1:1', apiKeys: keys, timeoutMs: 10_000 });
    expect(await failure(down.answerLineage('acme', 'req 1/a'))).toMatchObject({ code: 'LINEAGE.UNAVAILABLE' });
  });

  it('answers 503 without asking when no URL or no key of the tenant is configured', async () => {
    const before = seen.length;
    const noUrl = createLineageClient({ baseUrl: undefined, apiKeys: keys, timeoutMs: 200 });
    expect((await failure(noUrl.answerLineage('acme', 'req 1/a'))).message).toContain('EVALUATION_URL');
    expect((await failure(client().answerLineage('initech', 'req 1/a'))).message).toContain('initech=');
    expect(seen.length).toBe(before);
  });
});

describe('EVALUATION_API_KEYS', () => {
  it('reads tenant=key pairs', () => {
    expect(parseEvaluationApiKeys(' acme=k1 , demo=k=2,')).toEqual(
      new Map([
        ['acme', 'k1'],
        ['demo', 'k=2'],
      ]),
    );
    expect(parseEvaluationApiKeys(undefined).size).toBe(0);
  });

  it('refuses malformed entries and repeated tenants without echoing the key', () => {
    expect(() => parseEvaluationApiKeys('secret-key-only')).toThrow('"<15 characters>" is not tenant=key');
    expect(() => parseEvaluationApiKeys('acme=')).toThrow('is not tenant=key');
    expect(() => parseEvaluationApiKeys('acme=a,acme=b')).toThrow('tenant acme is given twice');
  });
});
