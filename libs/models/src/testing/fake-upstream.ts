/**
 * A fake model server for tests: a node:http server speaking the real wire formats of OpenAI's
 * `/v1/chat/completions`, `/v1/embeddings` and `/v1/models` and of Anthropic's `/v1/messages` and `/v1/models`,
 * JSON and server-sent events, with scriptable faults: 429 with retry-after, 5xx, a slow first
 * byte, a connection dropped mid-stream, garbage bodies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

/** Answers one request; returning nothing means the behaviour handled the response itself. */
export type Behaviour = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`; OpenAI clients use `${url}/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Queues behaviours for the next calls to chat/messages/embeddings (in order); when empty, the default answer. */
  enqueue(...behaviours: Behaviour[]): void;
  /** Replaces the model list (its next read sees it); a behaviour queued with `enqueueModels` wins. */
  models: string[];
  enqueueModels(...behaviours: Behaviour[]): void;
  /** Drops every queued behaviour. */
  clearQueues(): void;
  /** The text the default answer gives (`Hello from <model>.` by default). */
  answerText?: string;
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  models?: string[];
  /** When set, requests without it (`Authorization: Bearer` or `x-api-key`) get 401. */
  apiKey?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const queue: Behaviour[] = [];
  const modelQueue: Behaviour[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeUpstream = {
    url: '',
    requests: [],
    models: options.models ?? ['fake-small', 'fake-large'],
    enqueue: (...behaviours) => queue.push(...behaviours),
    enqueueModels: (...behaviours) => modelQueue.push(...behaviours),
    clearQueues: () => {
      queue.length = 0;
      modelQueue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const request: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
    fake.requests.push(request);
    if (options.apiKey) {
      const given = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
      if (given !== options.apiKey) {
        return json(401, { error: { type: 'authentication_error', message: 'invalid x-api-key' } })(request, res);
      }
    }
    const anthropic = req.headers['anthropic-version'] !== undefined;
    if (path === '/v1/models') {
      const behaviour = modelQueue.shift();
      if (behaviour) return behaviour(request, res);
      return json(200, {
        object: 'list',
        data: fake.models.map((id) => ({ id, object: 'model', created: 1, owned_by: 'fake', type: 'model' })),
        ...(anthropic ? { has_more: false, last_id: fake.models.at(-1) ?? null } : {}),
      })(request, res);
    }
    if (path === '/v1/chat/completions' || path === '/v1/messages') {
      const behaviour = queue.shift() ?? (anthropic ? anthropicAnswer() : openAiAnswer());
      const text = fake.answerText ?? `Hello from ${String(body?.model)}.`;
      return behaviour({ ...request, body: { ...body, __text: text } }, res);
    }
    if (path === '/v1/embeddings') return (queue.shift() ?? embeddingsAnswer())(request, res);
    res.writeHead(404).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

// ---- behaviours ----

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Behaviour {
  return (_request, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}

export function rateLimited(retryAfterSeconds: number): Behaviour {
  return json(
    429,
    { error: { type: 'rate_limit_error', message: 'Rate limit reached' } },
    {
      'retry-after': String(retryAfterSeconds),
    },
  );
}

export function serverError(status = 503): Behaviour {
  return json(status, { error: { type: 'server_error', message: 'The server is overloaded' } });
}

export function garbage(contentType = 'application/json'): Behaviour {
  return (_request, res) => {
    res.writeHead(200, { 'content-type': contentType }).end('<html>502 Bad Gateway from a proxy</html>');
  };
}

/** Waits before answering at all (headers included), then behaves like `then`. */
export function slow(delayMs: number, then?: Behaviour): Behaviour {
  return async (request, res) => {
    await sleep(delayMs);
    if (res.destroyed) return;
    const fallback = request.headers['anthropic-version'] !== undefined ? anthropicAnswer() : openAiAnswer();
    return (then ?? fallback)(request, res);
  };
}

/** Sends the SSE events (`data:` payloads, or `{event, data}`) and then, if `drop`, destroys the connection. */
export function sse(
  events: (string | object | { event: string; data: object })[],
  options: { drop?: boolean; delayMs?: number } = {},
): Behaviour {
  return async (_request, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    // Headers, then events: as a real server, the client has its response before the body flows.
    await sleep(5);
    for (const event of events) {
      if (res.destroyed) return;
      if (typeof event === 'string') res.write(`data: ${event}\n\n`);
      else if ('event' in event && 'data' in event && typeof event.event === 'string') {
        res.write(`event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
      } else res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (options.delayMs) await sleep(options.delayMs);
    }
    if (options.drop) {
      await sleep(20);
      res.socket?.destroy();
    } else res.end();
  };
}

/**
 * OpenAI's embeddings answer: one vector per input (`dimensions` long, default 4), derived from
 * the text so equal inputs embed equally, with `usage.prompt_tokens` one per word.
 */
export function embeddingsAnswer(options: { dimensions?: number } = {}): Behaviour {
  return (request, res) => {
    const body = request.body ?? {};
    const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : (options.dimensions ?? 4);
    const vectorOf = (text: string) =>
      Array.from({ length: dimensions }, (_, index) => ((text.length + index * 7) % 13) / 13);
    json(200, {
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })),
      model: String(body.model),
      usage: {
        prompt_tokens: inputs.reduce((sum, text) => sum + words(text).length, 0),
        total_tokens: inputs.reduce((sum, text) => sum + words(text).length, 0),
      },
    })(request, res);
  };
}

const words = (text: string) => text.match(/\S+\s*/g) ?? [];

/** OpenAI's answer to the request: JSON, or chunks with the usage in a final chunk when streamed. */
export function openAiAnswer(
  options: { toolCall?: { name: string; arguments: string }; drop?: boolean; usage?: object } = {},
): Behaviour {
  return (request, res) => {
    const body = request.body ?? {};
    const text = String(body.__text);
    const model = String(body.model);
    const usage = options.usage ?? {
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 2 },
    };
    const toolCalls = options.toolCall
      ? [
          {
            id: 'call_1',
            type: 'function',
            function: { name: options.toolCall.name, arguments: options.toolCall.arguments },
          },
        ]
      : undefined;
    if (body.stream !== true) {
      return json(200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 1,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: toolCalls ? null : text,
              ...(toolCalls ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: toolCalls ? 'tool_calls' : 'stop',
          },
        ],
        usage,
      })(request, res);
    }
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model };
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunk = (delta: object, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const events: (string | object)[] = [chunk({ role: 'assistant', content: '' })];
    if (options.toolCall) {
      const args = options.toolCall.arguments;
      const half = Math.floor(args.length / 2);
      events.push(
        chunk({
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: options.toolCall.name, arguments: '' } },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }),
      );
    } else {
      for (const word of words(text)) events.push(chunk({ content: word }));
    }
    if (options.drop) return sse(events, { drop: true })(request, res);
    events.push(chunk({}, options.toolCall ? 'tool_calls' : 'stop'));
    if (includeUsage) events.push({ ...base, choices: [], usage });
    events.push('[DONE]');
    return sse(events)(request, res);
  };
}

/** Anthropic's answer: a message, or its stream of events. */
export function anthropicAnswer(
  options: { toolUse?: { name: string; input: object }; drop?: boolean; stopReason?: string } = {},
): Behaviour {
  return (request, res) => {
    const body = request.body ?? {};
    const text = String(body.__text);
    const model = String(body.model);
    const usage = { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 1, output_tokens: 4 };
    const stopReason = options.stopReason ?? (options.toolUse ? 'tool_use' : 'end_turn');
    if (body.stream !== true) {
      return json(200, {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [
          { type: 'text', text },
          ...(options.toolUse
            ? [{ type: 'tool_use', id: 'toolu_1', name: options.toolUse.name, input: options.toolUse.input }]
            : []),
        ],
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      })(request, res);
    }
    const events: { event: string; data: object }[] = [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_fake',
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            usage: { ...usage, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      { event: 'ping', data: { type: 'ping' } },
      ...words(text).map((word) => ({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } },
      })),
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    ];
    if (options.toolUse) {
      const args = JSON.stringify(options.toolUse.input);
      events.push(
        {
          event: 'content_block_start',
          data: {
            type: 'content_block_start',
            index: 1,
            content_block: { type: 'tool_use', id: 'toolu_1', name: options.toolUse.name, input: {} },
          },
        },
        {
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index: 1,
            delta: { type: 'input_json_delta', partial_json: args.slice(0, 5) },
          },
        },
        {
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index: 1,
            delta: { type: 'input_json_delta', partial_json: args.slice(5) },
          },
        },
        { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      );
    }
    if (options.drop) return sse(events, { drop: true })(request, res);
    events.push(
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: 4 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    );
    return sse(events)(request, res);
  };
}
