/**
 * The OpenAI-compatible adapter: `POST {baseUrl}/chat/completions` and `GET {baseUrl}/models`, as
 * OpenAI, vLLM, Ollama (`/v1`), llama.cpp's server and TGI (Messages API) serve them, and
 * `POST {baseUrl}/embeddings` (OpenAI, vLLM, TEI, Ollama). Streams ask
 * for the usage in the final chunk (`stream_options.include_usage`); tool calls and their streamed
 * argument deltas are passed through. The key travels as `Authorization: Bearer` and never
 * appears in an error.
 */
import {
  type CallOptions,
  type ChatUsage,
  type FinishReason,
  type Generation,
  type GenerationEvent,
  type GenerationMessage,
  type GenerationRequest,
  type GenerationStream,
  ProviderError,
  type ToolCall,
} from '../chat-model.js';
import { generativeChatModel } from '../providers/grounding.js';
import { isObject, malformed, nonNegativeCount, parseJsonEvent, requestJson, requestSse } from '../providers/http.js';
import type { EmbeddingResult, ModelProvider } from '../providers/provider.js';

export interface OpenAiCompatibleOptions {
  /** `openai` by default; the name models are listed and routed under. */
  name?: string;
  /** Up to and including `/v1`: `https://api.openai.com/v1`, `http://vllm:8000/v1`. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Used when a call gives none. */
  defaultTimeoutMs?: number;
}

export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): ModelProvider {
  const name = options.name ?? 'openai';
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const secrets = options.apiKey ? [options.apiKey] : [];
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const attemptOf = (call: CallOptions | undefined) => ({
    provider: name,
    headers,
    secrets,
    timeoutMs: call?.timeoutMs ?? defaultTimeoutMs,
    signal: call?.signal,
  });

  return {
    name,
    async listModels(call) {
      const body = await requestJson({ ...attemptOf(call), url: `${baseUrl}/models` });
      const data = isObject(body) ? body.data : undefined;
      if (!Array.isArray(data)) throw malformed(name, 'the model list has no `data` array');
      return data.flatMap((entry) => (isObject(entry) && typeof entry.id === 'string' ? [entry.id] : []));
    },
    model(id) {
      const generate = async (request: GenerationRequest, call?: CallOptions): Promise<Generation> => {
        const body = await requestJson({
          ...attemptOf(call),
          url: `${baseUrl}/chat/completions`,
          body: wireRequestOf(request, false),
        });
        return generationOf(body, name);
      };
      const stream = (request: GenerationRequest, call?: CallOptions): GenerationStream => {
        const events = streamEvents(
          requestSse({ ...attemptOf(call), url: `${baseUrl}/chat/completions`, body: wireRequestOf(request, true) }),
          name,
          secrets,
        );
        return { attempts: 1, [Symbol.asyncIterator]: () => events };
      };
      return generativeChatModel({ id, provider: name, ownedBy: name }, generate, stream);
    },
    async embed(request, call) {
      const body = await requestJson({
        ...attemptOf(call),
        url: `${baseUrl}/embeddings`,
        // Floats, not base64: fewer servers (TEI, llama.cpp) implement base64 than floats.
        body: {
          model: request.model,
          input: [...request.input],
          encoding_format: 'float',
          ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        },
      });
      return embeddingsOf(body, request.input.length, name);
    },
  };
}

/** OpenAI's embeddings response; `data` may come in any order, each entry says its `index`. */
export function embeddingsOf(body: unknown, count: number, provider: string): EmbeddingResult {
  if (!isObject(body) || !Array.isArray(body.data)) throw malformed(provider, 'the embeddings response has no `data`');
  const vectors: (number[] | undefined)[] = Array.from({ length: count });
  for (const [position, entry] of body.data.entries()) {
    if (!isObject(entry) || !Array.isArray(entry.embedding)) throw malformed(provider, 'an embedding is not a list');
    const index = typeof entry.index === 'number' ? entry.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index]) {
      throw malformed(provider, `an embedding has an index out of place (${String(entry.index)})`);
    }
    if (!entry.embedding.every((value) => typeof value === 'number' && Number.isFinite(value))) {
      throw malformed(provider, 'an embedding holds something other than numbers');
    }
    vectors[index] = entry.embedding as number[];
  }
  if (vectors.some((vector) => vector === undefined)) {
    throw malformed(provider, `expected ${count} embeddings, got ${body.data.length}`);
  }
  const usage = isObject(body.usage) ? body.usage : {};
  return { vectors: vectors as number[][], promptTokens: nonNegativeCount(usage.prompt_tokens) };
}

/** The request on the wire: OpenAI's own field names. */
export function wireRequestOf(request: GenerationRequest, stream: boolean): Record<string, unknown> {
  return {
    ...request.extra,
    model: request.model,
    messages: request.messages.map(wireMessageOf),
    ...(request.tools ? { tools: request.tools } : {}),
    ...(request.toolChoice ? { tool_choice: request.toolChoice } : {}),
    ...(request.responseFormat ? { response_format: request.responseFormat } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop ? { stop: request.stop } : {}),
    ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
    ...(request.maxCompletionTokens ? { max_completion_tokens: request.maxCompletionTokens } : {}),
    ...(request.user ? { user: request.user } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : { stream: false }),
  };
}

function wireMessageOf(message: GenerationMessage): Record<string, unknown> {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length ? { tool_calls: message.toolCalls } : {}),
        ...(message.name ? { name: message.name } : {}),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    case 'user':
      return { role: 'user', content: message.content, ...(message.name ? { name: message.name } : {}) };
    default:
      return { role: message.role, content: message.content };
  }
}

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  // TGI and some llama.cpp builds.
  eos_token: 'stop',
  stop_sequence: 'stop',
};

export function finishReasonOf(value: unknown): FinishReason {
  return (typeof value === 'string' && finishReasons[value]) || 'stop';
}

export function usageOf(value: unknown): ChatUsage {
  if (!isObject(value)) return { promptTokens: 0, completionTokens: 0 };
  const usage: ChatUsage = {
    promptTokens: nonNegativeCount(value.prompt_tokens),
    completionTokens: nonNegativeCount(value.completion_tokens),
  };
  const prompt = isObject(value.prompt_tokens_details) ? value.prompt_tokens_details : undefined;
  const completion = isObject(value.completion_tokens_details) ? value.completion_tokens_details : undefined;
  if (prompt && typeof prompt.cached_tokens === 'number') usage.cachedTokens = nonNegativeCount(prompt.cached_tokens);
  if (completion && typeof completion.reasoning_tokens === 'number') {
    usage.reasoningTokens = nonNegativeCount(completion.reasoning_tokens);
  }
  return usage;
}

export function generationOf(body: unknown, provider: string): Generation {
  if (!isObject(body) || !Array.isArray(body.choices)) throw malformed(provider, 'the completion has no `choices`');
  const choice = body.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) throw malformed(provider, 'the completion has no message');
  const message = choice.message;
  if (message.content !== null && message.content !== undefined && typeof message.content !== 'string') {
    throw malformed(provider, 'the message content is not text');
  }
  const toolCalls: ToolCall[] = [];
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') {
        throw malformed(provider, 'a tool call has no function name');
      }
      toolCalls.push({
        id: typeof call.id === 'string' ? call.id : `call_${toolCalls.length}`,
        type: 'function',
        function: {
          name: call.function.name,
          arguments: typeof call.function.arguments === 'string' ? call.function.arguments : '{}',
        },
      });
    }
  }
  return {
    ...(typeof body.id === 'string' ? { id: body.id } : {}),
    content: typeof message.content === 'string' ? message.content : null,
    toolCalls,
    finishReason: finishReasonOf(choice.finish_reason),
    usage: usageOf(body.usage),
  };
}

/**
 * OpenAI's chunks as GenerationEvents. A stream must end with `data: [DONE]`: one that stops
 * before it lost its connection (`stream_interrupted`). The usage chunk (no choices) comes after
 * the finish chunk; the finish event is held until the usage chunk or `[DONE]`, so usage follows it.
 */
async function* streamEvents(
  source: AsyncGenerator<{ event: string | undefined; data: string }>,
  provider: string,
  secrets: readonly string[],
): AsyncGenerator<GenerationEvent> {
  let finish: FinishReason | undefined;
  let usage: ChatUsage | undefined;
  for await (const event of source) {
    if (event.data.trim() === '[DONE]') {
      yield { type: 'finish', finishReason: finish ?? 'stop' };
      if (usage) yield { type: 'usage', usage };
      return;
    }
    const chunk = parseJsonEvent(event, provider, secrets);
    if (!isObject(chunk)) throw malformed(provider, 'a streamed chunk is not an object');
    if (isObject(chunk.error)) {
      const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'error event';
      throw new ProviderError('upstream_error', provider, `the stream reported an error: ${message.slice(0, 200)}`);
    }
    if (chunk.usage !== undefined && chunk.usage !== null) usage = usageOf(chunk.usage);
    if (!Array.isArray(chunk.choices)) throw malformed(provider, 'a streamed chunk has no `choices`');
    for (const choice of chunk.choices) {
      if (!isObject(choice)) continue;
      const delta = isObject(choice.delta) ? choice.delta : {};
      if (typeof delta.content === 'string' && delta.content !== '') yield { type: 'text', text: delta.content };
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          if (!isObject(call)) continue;
          const fn = isObject(call.function) ? call.function : {};
          yield {
            type: 'tool_call',
            index: typeof call.index === 'number' ? call.index : 0,
            ...(typeof call.id === 'string' ? { id: call.id } : {}),
            ...(typeof fn.name === 'string' ? { name: fn.name } : {}),
            ...(typeof fn.arguments === 'string' ? { arguments: fn.arguments } : {}),
          };
        }
      }
      if (typeof choice.finish_reason === 'string') finish = finishReasonOf(choice.finish_reason);
    }
  }
  throw new ProviderError('stream_interrupted', provider, 'the stream ended before [DONE]');
}
