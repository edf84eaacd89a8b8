import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleEmbedder } from './openai-compatible-embedder.js';

interface Received {
  path: string;
  authorization: string | undefined;
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}

type Reply = (request: Received, response: ServerResponse) => void;

/** A tiny OpenAI-compatible server: vectors encode the input text, replies can be scripted. */
describe('createOpenAiCompatibleEmbedder', () => {
  let server: Server;
  let baseUrl: string;
  let received: Received[];
  let replies: Reply[];

  const vectorFor = (text: string, dimensions: number) =>
    Array.from({ length: dimensions }, (_, i) => (i === 0 ? text.length : i));

  const embeddings: Reply = (request, response) => {
    const data = request.body.input.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: vectorFor(text, 3),
    }));
    // Servers may return items in any order: the index decides.
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ object: 'list', data: data.reverse(), model: request.body.model }));
  };

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
        (replies.shift() ?? embeddings)(entry, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    replies = [];
  });

  it('posts batches to <baseUrl>/embeddings and returns vectors in input order', async () => {
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl,
      apiKey: 'sk-test',
      model: 'tiny',
      dimensions: 3,
      batchSize: 2,
    });
    expect(embedder.id).toBe('openai-compatible:tiny:3');
    expect(embedder.dimensions).toBe(3);
    const texts = ['a', 'bb', 'ccc', 'dddd', ''];
    expect(await embedder.embed(texts)).toEqual([1, 2, 3, 4, 1].map((length) => [length, 1, 2]));
    expect(received.map((request) => request.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], [' ']]);
    for (const request of received) {
      expect(request.path).toBe('/v1/embeddings');
      expect(request.authorization).toBe('Bearer sk-test');
      expect(request.body).toMatchObject({ model: 'tiny', encoding_format: 'float' });
      expect(request.body.dimensions).toBeUndefined();
    }
  });

  it('sends no request for no input, and `dimensions` only when asked to', async () => {
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl, model: 'tiny', dimensions: 3, requestDimensions: true });
    expect(await embedder.embed([])).toEqual([]);
    expect(received).toHaveLength(0);
    await embedder.embed(['x']);
    expect(received[0]?.body.dimensions).toBe(3);
    expect(received[0]?.authorization).toBeUndefined();
  });

  it('retries 429 and 5xx responses, honouring Retry-After', async () => {
    replies.push(
      (_, response) => {
        response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'slow down' } }));
      },
      (_, response) => {
        response.writeHead(503);
        response.end('busy');
      },
    );
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl, model: 'tiny', dimensions: 3, maxRetries: 2 });
    expect(await embedder.embed(['abc'])).toEqual([[3, 1, 2]]);
    expect(received).toHaveLength(3);
  });

  it('gives up after the retries with a retryable error carrying the server message', async () => {
    const failing: Reply = (_, response) => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'model is loading' } }));
    };
    replies.push(failing, failing);
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl, model: 'tiny', dimensions: 3, maxRetries: 1 });
    await expect(embedder.embed(['abc'])).rejects.toMatchObject({
      code: 'EMBEDDING.REQUEST_FAILED',
      retryable: true,
      message: expect.stringContaining('HTTP 503: model is loading'),
    });
    expect(received).toHaveLength(2);
  });

  it('fails at once, not retryable, on a client error', async () => {
    replies.push((_, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    });
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl, apiKey: 'wrong', model: 'tiny', dimensions: 3 });
    await expect(embedder.embed(['abc'])).rejects.toMatchObject({
      code: 'EMBEDDING.REQUEST_FAILED',
      retryable: false,
      message: expect.stringContaining('HTTP 401: Incorrect API key provided'),
    });
    expect(received).toHaveLength(1);
  });

  it('times out slow servers with a retryable timeout error', async () => {
    const slow: Reply = (request, response) => {
      setTimeout(() => embeddings(request, response), 500);
    };
    replies.push(slow);
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl,
      model: 'tiny',
      dimensions: 3,
      timeoutMs: 100,
      maxRetries: 0,
    });
    await expect(embedder.embed(['abc'])).rejects.toMatchObject({ code: 'EMBEDDING.TIMEOUT', retryable: true });
  });

  it('rejects vectors of the wrong size and incomplete responses', async () => {
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl, model: 'tiny', dimensions: 4, maxRetries: 0 });
    await expect(embedder.embed(['abc'])).rejects.toMatchObject({
      code: 'EMBEDDING.INVALID_RESPONSE',
      retryable: false,
      message: expect.stringContaining('3 dimensions; tiny was configured with 4'),
    });
    replies.push((_, response) => {
      response.end(JSON.stringify({ data: [{ index: 0, embedding: [1, 2, 3, 4] }] }));
    });
    await expect(embedder.embed(['a', 'b'])).rejects.toMatchObject({ code: 'EMBEDDING.INVALID_RESPONSE' });
  });

  it('reports an unreachable server as a retryable request failure', async () => {
    const embedder = createOpenAiCompatibleEmbedder({
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'tiny',
      dimensions: 3,
      maxRetries: 0,
    });
    await expect(embedder.embed(['abc'])).rejects.toMatchObject({
      code: 'EMBEDDING.REQUEST_FAILED',
      retryable: true,
      message: expect.stringContaining('http://127.0.0.1:9/v1/embeddings'),
    });
  });
});
