import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RerankerError } from '../reranking/reranker.js';
import { createHttpReranker, type HttpRerankerOptions } from './http-reranker.js';

interface Received {
  path: string;
  authorization: string | undefined;
  body: { model?: string; query: string; documents?: string[]; texts?: string[]; top_n?: number };
}

type Reply = (request: Received, response: ServerResponse) => void;

/** Scores a document by how many query words it holds: deterministic, like a tiny cross-encoder. */
function relevance(query: string, document: string): number {
  const words = new Set(query.toLowerCase().split(/\W+/));
  return document
    .toLowerCase()
    .split(/\W+/)
    .filter((word) => word && words.has(word)).length;
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** Cohere / Jina: `{ results: [{ index, relevance_score }] }`, best first. */
const cohereShape: Reply = (request, response) => {
  const documents = request.body.documents ?? [];
  const results = documents
    .map((document, index) => ({ index, relevance_score: relevance(request.body.query, document) / 10 }))
    .sort((a, b) => b.relevance_score - a.relevance_score);
  json(response, 200, { id: 'r-1', results, meta: { billed_units: { search_units: 1 } } });
};

/** TEI: a bare list of `{ index, score }`. */
const teiShape: Reply = (request, response) => {
  const texts = request.body.texts ?? [];
  json(response, 200, texts.map((text, index) => ({ index, score: relevance(request.body.query, text) })).reverse());
};

describe('createHttpReranker against a fake rerank endpoint', () => {
  let server: Server;
  let url: string;
  let received: Received[];
  let replies: Reply[];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let raw = '';
      request.on('data', (part: Buffer) => {
        raw += part.toString('utf8');
      });
      request.on('end', () => {
        const entry: Received = {
          path: request.url ?? '',
          authorization: request.headers.authorization,
          body: JSON.parse(raw) as Received['body'],
        };
        received.push(entry);
        (replies.shift() ?? cohereShape)(entry, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/rerank`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    replies = [];
  });

  const documents = ['The weather is mild.', 'Hotel nights are capped at 180 euros.', 'Hotel hotel night price.'];
  const reranker = (overrides: Partial<HttpRerankerOptions> = {}) =>
    createHttpReranker({ url, api: 'cohere', model: 'rerank-test', apiKey: 'secret', timeoutMs: 2000, ...overrides });

  it('speaks the Cohere/Jina shape: documents and top_n in, results[].relevance_score out', async () => {
    const scores = await reranker().rerank('hotel night price', documents);
    expect(scores).toEqual([0, 0.1, 0.4]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      path: '/v2/rerank',
      authorization: 'Bearer secret',
      body: { model: 'rerank-test', query: 'hotel night price', documents, top_n: 3 },
    });
    expect(reranker().id).toBe('cohere:rerank-test');
  });

  it('speaks TEI’s shape: texts in, a bare list of scores out (in any order)', async () => {
    replies.push(teiShape);
    const tei = reranker({ api: 'tei', model: undefined, apiKey: undefined });
    expect(await tei.rerank('hotel night price', documents)).toEqual([0, 1, 4]);
    expect(received[0]?.body).toMatchObject({ query: 'hotel night price', texts: documents });
    expect(received[0]?.body.documents).toBeUndefined();
    expect(received[0]?.authorization).toBeUndefined();
    expect(tei.id).toMatch(/^tei:127\.0\.0\.1:\d+$/);
  });

  it('accepts either response shape from either API', async () => {
    replies.push((request, response) =>
      json(
        response,
        200,
        (request.body.documents ?? []).map((_, index) => ({ index, score: index })),
      ),
    );
    expect(await reranker().rerank('q', documents)).toEqual([0, 1, 2]);
    replies.push((request, response) =>
      json(response, 200, {
        results: (request.body.texts ?? []).map((_, index) => ({ index, relevance_score: -index })),
      }),
    );
    expect(await reranker({ api: 'tei' }).rerank('q', documents)).toEqual([0, -1, -2]);
  });

  it('sends nothing for no documents', async () => {
    expect(await reranker().rerank('q', [])).toEqual([]);
    expect(received).toEqual([]);
  });

  async function failure(reply: Reply, options: Partial<HttpRerankerOptions> = {}): Promise<RerankerError> {
    replies.push(reply);
    const error = await reranker(options)
      .rerank('hotel', documents)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RerankerError);
    return error as RerankerError;
  }

  it('fails with the endpoint’s message on an HTTP error; 429 and 5xx are retryable', async () => {
    const unauthorised = await failure((_, response) => json(response, 401, { message: 'invalid api token' }));
    expect(unauthorised.message).toContain('HTTP 401: invalid api token');
    expect(unauthorised.retryable).toBe(false);
    const tooMany = await failure((_, response) => json(response, 429, { error: 'slow down' }));
    expect(tooMany.retryable).toBe(true);
    const down = await failure((_, response) => {
      response.writeHead(503);
      response.end('overloaded');
    });
    expect(down.message).toContain('HTTP 503: overloaded');
    expect(down.retryable).toBe(true);
  });

  it('refuses answers that do not score every document exactly once', async () => {
    const notJson = await failure((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>');
    });
    expect(notJson.message).toContain('is not JSON');
    expect((await failure((_, response) => json(response, 200, { data: [] }))).message).toContain(
      'neither a results list',
    );
    expect(
      (await failure((_, response) => json(response, 200, { results: [{ index: 0, relevance_score: 1 }] }))).message,
    ).toContain('scores 1 of 3 documents');
    expect(
      (
        await failure((_, response) =>
          json(response, 200, { results: [0, 1, 2, 3].map((index) => ({ index, relevance_score: 1 })) }),
        )
      ).message,
    ).toContain('index 3 outside');
    expect(
      (
        await failure((_, response) =>
          json(response, 200, { results: [0, 0, 1].map((index) => ({ index, relevance_score: 1 })) }),
        )
      ).message,
    ).toContain('scores document 0 twice');
    expect(
      (
        await failure((_, response) =>
          json(response, 200, { results: [0, 1, 2].map((index) => ({ index, relevance_score: 'high' })) }),
        )
      ).message,
    ).toContain('no numeric score');
  });

  it('gives up after its timeout, as a retryable failure', async () => {
    const started = Date.now();
    const slow = await failure(
      (request, response) => {
        setTimeout(() => cohereShape(request, response), 1500).unref();
      },
      { timeoutMs: 100 },
    );
    expect(slow.message).toContain('timed out after 100 ms');
    expect(slow.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports an endpoint that refuses connections as a retryable failure', async () => {
    const closed = createHttpReranker({ url: 'http://127.0.0.1:9/rerank', api: 'cohere', timeoutMs: 2000 });
    const error = await closed.rerank('q', ['a']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RerankerError);
    expect((error as RerankerError).retryable).toBe(true);
    expect((error as RerankerError).message).toContain('rerank request to http://127.0.0.1:9/rerank failed');
  });
});
