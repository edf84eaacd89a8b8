/**
 * The judge against a local fake gateway (a real HTTP server) that answers with valid ratings,
 * garbage, 429s and 500s in a scripted order.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstJsonObject, parseJudgeOutput } from './judge-output.js';
import {
  isJudgeCompletion,
  JUDGE_MARKER,
  loadJudgePrompt,
  parseJudgePrompt,
  renderJudgeMessages,
} from './judge-prompt.js';
import { LlmJudge, type LlmJudgeOptions, spreadOf } from './llm-judge.js';

type Reply = { status?: number; content?: string; body?: string; retryAfter?: string };

let server: Server;
let url: string;
let script: Reply[];
let requests: {
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[]; temperature: number };
}[];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    request.on('end', () => resolve(text));
  });
}

beforeEach(async () => {
  script = [];
  requests = [];
  server = createServer(async (request, response) => {
    const body = JSON.parse(await readBody(request));
    requests.push({ authorization: request.headers.authorization, body });
    const reply = script.shift() ?? { status: 500 };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (reply.retryAfter) headers['retry-after'] = reply.retryAfter;
    response.writeHead(reply.status ?? 200, headers);
    response.end(
      reply.body ??
        JSON.stringify(
          reply.status && reply.status >= 400
            ? { error: { message: 'nope', type: 'rate_limit_error' } }
            : {
                id: 'chatcmpl-1',
                object: 'chat.completion',
                choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? '' } }],
              },
        ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const material = {
  question: 'How long is the warranty?',
  answer: 'Every Northwind robot carries a two-year limited warranty [1].',
  contexts: [{ chunkId: 'warranty#0', text: 'Every Northwind robot carries a two-year limited warranty.' }],
};

function judge(overrides: Partial<LlmJudgeOptions> = {}) {
  const waits: number[] = [];
  const instance = new LlmJudge({
    gatewayUrl: url,
    apiKey: 'judge-key',
    model: 'gpt-judge',
    prompt: loadJudgePrompt(),
    samples: 3,
    retries: 2,
    timeoutMs: 10_000,
    logger: createTestLogger().logger,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
  return { instance, waits };
}

const rating = (value: number, reason = 'fine') => ({ content: JSON.stringify({ rating: value, reason }) });

describe('LLM judge', () => {
  it('averages the samples and reports the spread, the prompt version and the model', async () => {
    script = [rating(5), { content: '```json\n{"rating": 4, "reason": "one imprecise citation"}\n```' }, rating(3)];
    const outcome = await judge().instance.judge(material);
    expect(outcome).toMatchObject({
      ok: true,
      score: 0.75,
      min: 0.5,
      max: 1,
      samples: 3,
      calls: 3,
      model: 'gpt-judge',
      promptVersion: expect.stringMatching(/^answer-quality\/1#[0-9a-f]{12}$/),
    });
    expect(outcome.ok && outcome.stddev).toBeCloseTo(0.2041, 4);
    const [first] = requests;
    expect(first?.authorization).toBe('Bearer judge-key');
    expect(first?.body).toMatchObject({ model: 'gpt-judge', temperature: 0.7 });
    expect(first?.body.messages[0]?.content).toContain('two-year limited warranty');
    expect(first?.body.messages[1]?.content).toContain(JUDGE_MARKER);
  });

  it('retries garbage, then scores', async () => {
    script = [{ content: 'I think it is good.' }, { content: '{"rating": 9}' }, rating(5)];
    const outcome = await judge({ samples: 1 }).instance.judge(material);
    expect(outcome).toMatchObject({ ok: true, score: 1, calls: 3 });
  });

  it('records garbage after every retry as an error, with the reason, and no score', async () => {
    script = [{ content: 'no' }, { content: '{"rating": "five"}' }, { body: 'not json at all' }];
    const outcome = await judge({ samples: 2 }).instance.judge(material);
    expect(outcome).toMatchObject({ ok: false, calls: 3, model: 'gpt-judge' });
    expect(!outcome.ok && outcome.error).toMatch(
      /^sample 1 of 2: no valid rating after 3 calls: gateway answered invalid JSON/,
    );
    expect(outcome).not.toHaveProperty('score');
  });

  it('waits out a 429 as the gateway asks (bounded), then scores', async () => {
    script = [{ status: 429, retryAfter: '2' }, { status: 503 }, rating(4)];
    const { instance, waits } = judge({ samples: 1, maxRetryAfterMs: 1_500 });
    expect(await instance.judge(material)).toMatchObject({ ok: true, score: 0.75, calls: 3 });
    expect(waits).toEqual([1_500, 500]);
  });

  it('gives up on 429s after the retries, and at once on a refusal like 401', async () => {
    script = [{ status: 429 }, { status: 429 }, { status: 429 }];
    const limited = await judge({ samples: 1 }).instance.judge(material);
    expect(limited).toMatchObject({ ok: false, calls: 3 });
    expect(!limited.ok && limited.error).toContain('gateway answered 429');
    script = [{ status: 401 }];
    expect(await judge({ samples: 1 }).instance.judge(material)).toMatchObject({
      ok: false,
      calls: 1,
      error: 'gateway answered 401',
    });
  });

  it('never throws when the gateway is unreachable, and keeps to its deadline', async () => {
    const outcome = await judge({ gatewayUrl: 'http://127.0.0.1:1', samples: 1, retries: 1 }).instance.judge(material);
    expect(outcome).toMatchObject({ ok: false });
    expect(!outcome.ok && outcome.error).toContain('gateway unreachable');
    const slow = judge({
      samples: 1,
      timeoutMs: 200,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    script = [{ status: 429, retryAfter: '5' }];
    const late = await slow.instance.judge(material);
    expect(!late.ok && late.error).toContain('deadline of 200 ms passed');
  });
});

describe('judge prompt and output', () => {
  it('versions the prompt by name, number and text', () => {
    const text = 'Judge.\n{{question}}\n{{contexts}}\n{{answer}}\n---user---\nRate it. [keel-evaluation-judge]\n';
    const one = parseJudgePrompt('p', 1, text);
    expect(one.versionId).toMatch(/^p\/1#/);
    expect(parseJudgePrompt('p', 1, text.replace('Judge.', 'Judge!')).versionId).not.toBe(one.versionId);
    expect(() => parseJudgePrompt('p', 1, 'no placeholders')).toThrow('needs {{answer}}');
  });

  it('fills the material once, bounded, and marks its own completions', () => {
    const prompt = loadJudgePrompt();
    const [system, user] = renderJudgeMessages(prompt, {
      question: 'Q {{answer}}',
      answer: 'x'.repeat(20_000),
      contexts: [],
    });
    expect(system?.content).toContain('Q {{answer}}');
    expect(system?.content).toContain('(no passages were retrieved)');
    expect(system?.content.length).toBeLessThan(20_000);
    expect(isJudgeCompletion(user?.content ?? '')).toBe(true);
    expect(isJudgeCompletion('How long is the warranty?')).toBe(false);
  });

  it('takes the first balanced JSON object of a reply and validates it', () => {
    expect(firstJsonObject('Sure! {"rating": 4, "reason": "a } in a string"} trailing {')).toBe(
      '{"rating": 4, "reason": "a } in a string"}',
    );
    expect(parseJudgeOutput('{"rating": 4.5}')).toMatchObject({ ok: false });
    expect(parseJudgeOutput('{"rating": 2}')).toEqual({ ok: true, output: { rating: 2, reason: '' } });
    expect(spreadOf([1, 0])).toEqual({ mean: 0.5, stddev: 0.5, min: 0, max: 1 });
  });
});
