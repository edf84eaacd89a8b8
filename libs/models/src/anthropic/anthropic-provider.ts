/**
 * The Anthropic Messages adapter: `POST {baseUrl}/v1/messages` and `GET {baseUrl}/v1/models` with
 * `x-api-key` and `anthropic-version`. OpenAI-shaped requests are translated to Messages (system
 * messages → `system`, tool calls → `tool_use` blocks, tool results → `tool_result` blocks in a
 * user turn, `tool_choice`, `stop` → `stop_sequences`) and responses and stream events back to
 * OpenAI's (stop reasons, tool calls with streamed argument deltas, usage with cache reads and
 * writes). The key never appears in an error.
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
  type ToolChoice,
} from '../chat-model.js';
import { generativeChatModel } from '../providers/grounding.js';
import { isObject, malformed, nonNegativeCount, parseJsonEvent, requestJson, requestSse } from '../providers/http.js';
import type { ModelProvider } from '../providers/provider.js';

export interface AnthropicOptions {
  name?: string;
  /** `https://api.anthropic.com` (a trailing `/v1` is accepted too). */
  baseUrl: string;
  apiKey: string;
  /** The `anthropic-version` header; default 2023-06-01. */
  version?: string;
  /** Messages requires `max_tokens`: used when the request sets none. */
  defaultMaxTokens?: number;
  defaultTimeoutMs?: number;
}

export const defaultAnthropicVersion = '2023-06-01';

export function createAnthropicProvider(options: AnthropicOptions): ModelProvider {
  const name = options.name ?? 'anthropic';
  const baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const secrets = [options.apiKey];
  const headers = { 'x-api-key': options.apiKey, 'anthropic-version': options.version ?? defaultAnthropicVersion };
  const defaultMaxTokens = options.defaultMaxTokens ?? 4096;
  const attemptOf = (call: CallOptions | undefined) => ({
    provider: name,
    headers,
    secrets,
    timeoutMs: call?.timeoutMs ?? options.defaultTimeoutMs ?? 60_000,
    signal: call?.signal,
  });

  return {
    name,
    async listModels(call) {
      const ids: string[] = [];
      let after: string | undefined;
      // Paged (`has_more`, `last_id`); a bounded number of pages.
      for (let page = 0; page < 20; page++) {
        const query = `limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}`;
        const body = await requestJson({ ...attemptOf(call), url: `${baseUrl}/v1/models?${query}` });
        if (!isObject(body) || !Array.isArray(body.data)) throw malformed(name, 'the model list has no `data` array');
        for (const entry of body.data) if (isObject(entry) && typeof entry.id === 'string') ids.push(entry.id);
        if (body.has_more !== true || typeof body.last_id !== 'string') break;
        after = body.last_id;
      }
      return ids;
    },
    model(id) {
      const generate = async (request: GenerationRequest, call?: CallOptions): Promise<Generation> => {
        const body = await requestJson({
          ...attemptOf(call),
          url: `${baseUrl}/v1/messages`,
          body: messagesRequestOf(request, defaultMaxTokens, false),
        });
        return generationOf(body, name);
      };
      const stream = (request: GenerationRequest, call?: CallOptions): GenerationStream => {
        const events = streamEvents(
          requestSse({
            ...attemptOf(call),
            url: `${baseUrl}/v1/messages`,
            body: messagesRequestOf(request, defaultMaxTokens, true),
          }),
          name,
          secrets,
        );
        return { attempts: 1, [Symbol.asyncIterator]: () => events };
      };
      return generativeChatModel({ id, provider: name, ownedBy: name }, generate, stream);
    },
  };
}

type Block = Record<string, unknown>;

/** OpenAI's request as a Messages request. */
export function messagesRequestOf(
  request: GenerationRequest,
  defaultMaxTokens: number,
  stream: boolean,
): Record<string, unknown> {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    // Messages wants alternating turns: consecutive turns of one role are merged (tool results in one user turn).
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        break;
      case 'user':
        push('user', message.content ? [{ type: 'text', text: message.content }] : []);
        break;
      case 'assistant':
        push('assistant', assistantBlocksOf(message));
        break;
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }]);
        break;
    }
  }
  const format = responseFormatInstruction(request.responseFormat);
  if (format) system.push(format);
  const toolChoice = toolChoiceOf(request.toolChoice);
  return {
    model: request.model,
    max_tokens: request.maxCompletionTokens ?? request.maxTokens ?? defaultMaxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(request.tools?.length && request.toolChoice !== 'none'
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.function.name,
            ...(tool.function.description ? { description: tool.function.description } : {}),
            input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
          })),
        }
      : {}),
    ...(toolChoice && request.tools?.length && request.toolChoice !== 'none' ? { tool_choice: toolChoice } : {}),
    // Messages' temperature is 0-1 where OpenAI's is 0-2.
    ...(request.temperature === undefined ? {} : { temperature: Math.min(1, request.temperature) }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop?.length ? { stop_sequences: request.stop } : {}),
    ...(request.user ? { metadata: { user_id: request.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };
}

function assistantBlocksOf(message: Extract<GenerationMessage, { role: 'assistant' }>): Block[] {
  const blocks: Block[] = [];
  if (message.content) blocks.push({ type: 'text', text: message.content });
  for (const call of message.toolCalls ?? []) {
    let input: unknown = {};
    try {
      input = call.function.arguments ? JSON.parse(call.function.arguments) : {};
    } catch {
      // Arguments a model wrote that are not JSON: kept as text so nothing is lost.
      input = { arguments: call.function.arguments };
    }
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: isObject(input) ? input : { value: input },
    });
  }
  return blocks;
}

function toolChoiceOf(choice: ToolChoice | undefined): Record<string, unknown> | undefined {
  if (choice === undefined || choice === 'auto') return choice ? { type: 'auto' } : undefined;
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return undefined;
  return { type: 'tool', name: choice.function.name };
}

/** Messages has no `response_format`: JSON output is asked for in the system prompt. */
function responseFormatInstruction(format: Record<string, unknown> | undefined): string | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_schema' && isObject(format.json_schema)) {
    return `Respond with a single JSON object, and nothing else, that conforms to this JSON schema:\n${JSON.stringify(format.json_schema.schema ?? {})}`;
  }
  return 'Respond with a single JSON object and nothing else.';
}

const stopReasons: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReasonOf(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' && stopReasons[stopReason]) || 'stop';
}

/** Messages' `input_tokens` excludes cache reads and writes; OpenAI's prompt tokens include them. */
export function usageOf(value: unknown): ChatUsage {
  if (!isObject(value)) return { promptTokens: 0, completionTokens: 0 };
  const cacheRead = nonNegativeCount(value.cache_read_input_tokens);
  const cacheWrite = nonNegativeCount(value.cache_creation_input_tokens);
  return {
    promptTokens: nonNegativeCount(value.input_tokens) + cacheRead + cacheWrite,
    completionTokens: nonNegativeCount(value.output_tokens),
    ...(cacheRead > 0 || typeof value.cache_read_input_tokens === 'number' ? { cachedTokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cacheWriteTokens: cacheWrite } : {}),
  };
}

export function generationOf(body: unknown, provider: string): Generation {
  if (!isObject(body) || !Array.isArray(body.content)) throw malformed(provider, 'the message has no `content`');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of body.content) {
    if (!isObject(block)) throw malformed(provider, 'a content block is not an object');
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use') {
      if (typeof block.name !== 'string') throw malformed(provider, 'a tool_use block has no name');
      toolCalls.push({
        id: typeof block.id === 'string' ? block.id : `toolu_${toolCalls.length}`,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  return {
    ...(typeof body.id === 'string' ? { id: body.id } : {}),
    content: text === '' && toolCalls.length > 0 ? null : text,
    toolCalls,
    finishReason: finishReasonOf(body.stop_reason),
    usage: usageOf(body.usage),
  };
}

/** Messages stream events as GenerationEvents; a stream without `message_stop` was cut. */
async function* streamEvents(
  source: AsyncGenerator<{ event: string | undefined; data: string }>,
  provider: string,
  secrets: readonly string[],
): AsyncGenerator<GenerationEvent> {
  let usage: Record<string, unknown> = {};
  let finish: FinishReason = 'stop';
  // Content block index → tool call index (OpenAI numbers tool calls from 0).
  const toolIndexOfBlock = new Map<number, number>();
  for await (const event of source) {
    const data = parseJsonEvent(event, provider, secrets);
    if (!isObject(data) || typeof data.type !== 'string') throw malformed(provider, 'a stream event has no type');
    switch (data.type) {
      case 'message_start': {
        const message = isObject(data.message) ? data.message : {};
        if (isObject(message.usage)) usage = { ...message.usage };
        break;
      }
      case 'content_block_start': {
        const block = isObject(data.content_block) ? data.content_block : {};
        const blockIndex = nonNegativeCount(data.index);
        if (block.type === 'tool_use') {
          const index = toolIndexOfBlock.size;
          toolIndexOfBlock.set(blockIndex, index);
          yield {
            type: 'tool_call',
            index,
            ...(typeof block.id === 'string' ? { id: block.id } : {}),
            ...(typeof block.name === 'string' ? { name: block.name } : {}),
            arguments: '',
          };
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
          yield { type: 'text', text: block.text };
        }
        break;
      }
      case 'content_block_delta': {
        const delta = isObject(data.delta) ? data.delta : {};
        if (delta.type === 'text_delta' && typeof delta.text === 'string') yield { type: 'text', text: delta.text };
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const index = toolIndexOfBlock.get(nonNegativeCount(data.index));
          if (index !== undefined) yield { type: 'tool_call', index, arguments: delta.partial_json };
        }
        break;
      }
      case 'message_delta': {
        const delta = isObject(data.delta) ? data.delta : {};
        if (delta.stop_reason !== undefined && delta.stop_reason !== null) finish = finishReasonOf(delta.stop_reason);
        if (isObject(data.usage)) usage = { ...usage, ...data.usage };
        break;
      }
      case 'message_stop':
        yield { type: 'finish', finishReason: finish };
        yield { type: 'usage', usage: usageOf(usage) };
        return;
      case 'error': {
        const error = isObject(data.error) ? data.error : {};
        const kind = error.type === 'rate_limit_error' ? 'rate_limited' : 'upstream_error';
        const message = typeof error.message === 'string' ? error.message.slice(0, 200) : 'error event';
        throw new ProviderError(kind, provider, `the stream reported ${String(error.type ?? 'an error')}: ${message}`);
      }
      default:
        // ping, content_block_stop, and event types added later.
        break;
    }
  }
  throw new ProviderError('stream_interrupted', provider, 'the stream ended before message_stop');
}
