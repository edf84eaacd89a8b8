/**
 * A local HTTP server speaking the gateway's `/v1/answers` wire format (problem+json errors,
 * `retry-after`, `x-keel-cost`), for the cases a real gateway will not produce on demand: rate
 * limits, outages, garbage. The question picks the behaviour:
 *
 * - contains `rate-limited`: 429 with `retry-after: 0` on the first attempt, then an answer;
 * - `unavailable`: always 503 with `retry-after: 0`;
 * - `garbage`: 200 with an HTML page;
 * - `blocked`: 422 `POLICY.BLOCKED`;
 * - `invent`: an answer that its citation does not support;
 * - otherwise a grounded answer citing document `returns` (or `warranty` when asked about it).
 *
 * `GET /v1/datasets/cut/versions/latest/rows` stands for an evaluation service that goes away
 * half-way through the rows.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGateway {
  url: string;
  /** Requests per question. */
  attempts: Map<string, number>;
  close(): Promise<void>;
}

const RETURNS = 'Customers can return any robot within 30 days of delivery.';
const WARRANTY = 'Batteries carry a warranty of two years from purchase.';

export interface FakeGatewayOptions {
  apiKey: string;
  /** Pads every answer, to make rows weigh something (the memory test). */
  answerPadding?: number;
  /** Also answers `/v1/evaluations:score` with fixed scores: the runner alone, without a scorer. */
  scoring?: boolean;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function problem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `urn:keel:problem:${code}`, title: code, status, detail, code }));
}

export async function startFakeGateway(options: FakeGatewayOptions): Promise<FakeGateway> {
  const attempts = new Map<string, number>();
  const padding = ' Thank you.'.repeat(Math.ceil((options.answerPadding ?? 0) / 11));
  const server = createServer(async (req, res) => {
    const text = await bodyOf(req);
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      problem(res, 401, 'AUTH.UNKNOWN_API_KEY', 'unknown API key');
      return;
    }
    if (options.scoring && req.url === '/v1/evaluations:score') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          groundedness: 1,
          citationCoverage: 1,
          abstained: false,
          evaluatorVersion: 'fake',
          // The scorer's list of metrics: known ones in [0, 1] are kept, anything else ignored.
          scores: [
            { metric: 'citation_validity', value: 0.5 },
            { metric: 'answer_relevance', value: 7 },
            { metric: 'made_up', value: 0.1 },
          ],
        }),
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/datasets/cut/versions/latest/rows') {
      // A rows stream cut half-way (the evaluation service went away).
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ id: 'a', question: 'How long can I return a robot?' })}\n{"id":"b","quest`);
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/answers') {
      problem(res, 404, 'HTTP.NOT_FOUND', `${req.method} ${req.url}`);
      return;
    }
    const { question } = JSON.parse(text) as { question: string };
    const attempt = (attempts.get(question) ?? 0) + 1;
    attempts.set(question, attempt);
    if (question.includes('rate-limited') && attempt === 1) {
      problem(res, 429, 'LIMIT.RATE_EXCEEDED', 'over the rate limit', { 'retry-after': '0' });
      return;
    }
    if (question.includes('unavailable')) {
      problem(res, 503, 'DEPENDENCY.UNAVAILABLE', 'retrieval unavailable: down', { 'retry-after': '0' });
      return;
    }
    if (question.includes('garbage')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>upstream proxy error</html>');
      return;
    }
    if (question.includes('blocked')) {
      problem(res, 422, 'POLICY.BLOCKED', 'the question is about a denied topic');
      return;
    }
    const warranty = /warranty/i.test(question);
    const quote = warranty ? WARRANTY : RETURNS;
    const answer = question.includes('invent')
      ? 'Robots can be returned for 90 days in any store. [1]'
      : `${quote} [1]${padding}`;
    res.writeHead(200, { 'content-type': 'application/json', 'x-keel-cost': '0.000125 USD' });
    res.end(
      JSON.stringify({
        id: `req-${attempts.size}-${attempt}`,
        answer,
        citations: [
          {
            marker: 1,
            documentId: warranty ? 'warranty' : 'returns',
            documentVersion: 'v1',
            title: 'Policy',
            source: 'policy.md',
            chunkId: warranty ? 'warranty#0' : 'returns#0',
            startOffset: 0,
            endOffset: quote.length,
            score: 0.9,
            quote,
          },
        ],
        model: 'keel-extractive-v1',
        usage: { promptTokens: 10, completionTokens: 12, totalTokens: 22 },
        policy: {},
        flagged: false,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
