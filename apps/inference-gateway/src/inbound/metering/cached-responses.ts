/**
 * The HTTP side of the response cache on `/v1/chat/completions`:
 *  - `captureResponse` watches a provider completion being sent (JSON, or the SSE chunks of a
 *    stream) and stores it once it ended well: finish reason set, no error event, not flagged for
 *    review, not refused by policy (`content_filter`);
 *  - `serveCached` answers a hit in the shape the request asked for (JSON, or SSE chunks ending
 *    with `[DONE]`), costing nothing; the caller publishes its completion event.
 * Capturing at the transport keeps the use case unaware of the cache: what is stored is exactly
 * what the client received.
 */
import type { FinishReason, ToolCall } from '@keel/models';
import type { Logger } from '@keel/platform';
import type { Response } from 'express';
import type { CachedCompletion, ResponseCache } from '../../caching/response-cache.js';
import { providerChunks, providerUsageOf } from '../openai/provider-completion-response.js';

type Captured = Omit<CachedCompletion, 'createdAt' | 'expiresAt' | 'id' | 'tenantId' | 'model' | 'usage'> & {
  usage?: CachedCompletion['usage'];
};

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

const usageOf = (usage: OpenAiUsage | null | undefined): CachedCompletion['usage'] | undefined =>
  usage
    ? {
        promptTokens: usage.prompt_tokens ?? 0,
        completionTokens: usage.completion_tokens ?? 0,
        ...(usage.prompt_tokens_details?.cached_tokens === undefined
          ? {}
          : { cachedTokens: usage.prompt_tokens_details.cached_tokens }),
        ...(usage.completion_tokens_details?.reasoning_tokens === undefined
          ? {}
          : { reasoningTokens: usage.completion_tokens_details.reasoning_tokens }),
      }
    : undefined;

const storable = (captured: Captured, flagged: unknown) =>
  flagged !== true && captured.finishReason !== 'content_filter';

export function captureResponse(input: {
  res: Response;
  cache: ResponseCache;
  tenantId: string;
  model: string;
  key: string;
  /** The usage the metering recorded, for a stream that did not ask for its usage chunk. */
  recordedUsage: () => CachedCompletion['usage'] | undefined;
  now: () => number;
  logger: Logger;
}): void {
  const { res } = input;
  const store = (captured: Captured) => {
    const usage = captured.usage ?? input.recordedUsage();
    if (!usage) return;
    input.cache
      .put({ ...captured, usage, id: input.key, tenantId: input.tenantId, model: input.model }, input.now())
      .catch((error: unknown) => input.logger.warn({ err: error }, 'storing a cached response failed'));
  };

  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const completion = body as {
      object?: string;
      choices?: { message?: { content?: string | null; tool_calls?: ToolCall[] }; finish_reason?: FinishReason }[];
      usage?: OpenAiUsage;
      keel?: { provider?: string; flagged?: boolean; policy?: { input: string; output: string } };
    };
    const choice = completion?.choices?.[0];
    if (res.statusCode === 200 && completion?.object === 'chat.completion' && choice?.finish_reason) {
      const captured: Captured = {
        provider: completion.keel?.provider ?? '',
        content: choice.message?.content ?? null,
        toolCalls: choice.message?.tool_calls ?? [],
        finishReason: choice.finish_reason,
        policy: completion.keel?.policy ?? { input: 'ALLOW', output: 'ALLOW' },
        ...(completion.usage ? { usage: usageOf(completion.usage) } : {}),
      };
      if (storable(captured, completion.keel?.flagged)) store(captured);
    }
    return json(body);
  };

  // A stream: the chunks this gateway writes, one `data: {...}\n\n` per write.
  let content = '';
  const calls = new Map<number, ToolCall>();
  let finishReason: FinishReason | undefined;
  let usage: CachedCompletion['usage'] | undefined;
  let keel: { provider?: string; flagged?: boolean; policy?: { input: string; output: string } } | undefined;
  let failed = false;
  let done = false;
  const read = (chunk: unknown) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) return;
    for (const line of String(chunk).split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const data = line.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      let event: {
        error?: unknown;
        choices?: {
          delta?: {
            content?: string;
            tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
          };
          finish_reason?: FinishReason | null;
        }[];
        usage?: OpenAiUsage | null;
        keel?: typeof keel;
      };
      try {
        event = JSON.parse(data);
      } catch {
        failed = true;
        continue;
      }
      if (event.error) failed = true;
      const choice = event.choices?.[0];
      if (choice?.delta?.content) content += choice.delta.content;
      for (const delta of choice?.delta?.tool_calls ?? []) {
        const call = calls.get(delta.index) ?? {
          id: '',
          type: 'function' as const,
          function: { name: '', arguments: '' },
        };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.function.name = delta.function.name;
        call.function.arguments += delta.function?.arguments ?? '';
        calls.set(delta.index, call);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (event.keel) keel = event.keel;
      if (event.usage) usage = usageOf(event.usage);
    }
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) read(chunk);
    return write(chunk, ...rest);
  }) as Response['write'];
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) {
      read(chunk);
      if (done && !failed && finishReason && !res.destroyed) {
        const captured: Captured = {
          provider: keel?.provider ?? '',
          content: content.length > 0 ? content : null,
          toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
          finishReason,
          policy: keel?.policy ?? { input: 'ALLOW', output: 'ALLOW' },
          ...(usage ? { usage } : {}),
        };
        if (storable(captured, keel?.flagged)) store(captured);
      }
    }
    return end(chunk, ...rest);
  }) as Response['end'];
}

/** Answers a hit; the `keel` object says where it came from (`cache: 'hit'`). */
export function serveCached(input: {
  res: Response;
  entry: CachedCompletion;
  id: string;
  created: number;
  stream: boolean;
  includeUsage: boolean;
  cost: object;
}): void {
  const { res, entry } = input;
  const keel = {
    provider: entry.provider,
    attempts: 0,
    policy: entry.policy,
    flagged: false,
    cache: 'hit',
    ...input.cost,
  };
  const usage = {
    promptTokens: entry.usage.promptTokens,
    completionTokens: entry.usage.completionTokens,
    ...(entry.usage.cachedTokens === undefined ? {} : { cachedTokens: entry.usage.cachedTokens }),
    ...(entry.usage.reasoningTokens === undefined ? {} : { reasoningTokens: entry.usage.reasoningTokens }),
  };
  if (!input.stream) {
    res.json({
      id: input.id,
      object: 'chat.completion',
      created: input.created,
      model: entry.model,
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: entry.content,
            refusal: null,
            ...(entry.toolCalls.length > 0 ? { tool_calls: entry.toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: entry.finishReason,
        },
      ],
      usage: providerUsageOf(usage),
      keel,
    });
    return;
  }
  const chunks = providerChunks({
    id: input.id,
    created: input.created,
    model: entry.model,
    includeUsage: input.includeUsage,
  });
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  const events: object[] = [chunks.role()];
  if (entry.content) events.push(chunks.text(entry.content));
  entry.toolCalls.forEach((call, index) => {
    events.push(chunks.toolCall({ index, id: call.id, name: call.function.name, arguments: call.function.arguments }));
  });
  events.push(chunks.finish(entry.finishReason, keel));
  if (input.includeUsage) events.push(chunks.usage(usage));
  res.end(`${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')}data: [DONE]\n\n`);
}
