/**
 * The request body of `POST /v1/chat/completions`, validated as OpenAI validates it (the fields
 * Keel uses, typed; unknown fields tolerated, since SDKs add new ones before servers know them),
 * within Keel's limits (answer-limits.ts). Violations name the field the OpenAI way once
 * openai-errors.ts has shaped them: `messages[3].content`.
 */
import type { ChatMessage, GenerationMessage, GenerationRequest, ToolChoice, ToolDefinition } from '@keel/models';
import { type Violation, validationError, z } from '@keel/platform';
import { isBlankText } from '@keel/text';
import {
  maxChatMessages,
  maxCompletionTokens,
  maxContentParts,
  maxConversationLength,
  maxMessageLength,
  maxModelNameLength,
  maxNameLength,
  maxQuestionLength,
} from '../../answering/answer-limits.js';

const atMost = (limit: number) => `must be at most ${limit} characters`;

const textPart = z.object({
  type: z.literal('text'),
  text: z.string().max(maxMessageLength, atMost(maxMessageLength)),
});

const maxTools = 128;
const maxToolCalls = 128;
const maxIdLength = 256;
const maxStops = 4;
const maxStopLength = 1_024;
const functionName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_" or "-"');

const toolCallSchema = z.object({
  id: z.string().min(1).max(maxIdLength, atMost(maxIdLength)),
  type: z.literal('function').optional(),
  function: z.object({
    name: functionName,
    arguments: z.string().max(maxMessageLength, atMost(maxMessageLength)),
  }),
});

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: functionName,
    description: z.string().max(maxMessageLength, atMost(maxMessageLength)).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  // Only text: an image or audio part is a 400, not silently dropped.
  content: z
    .union([
      z.string().max(maxMessageLength, atMost(maxMessageLength)),
      z.array(textPart).max(maxContentParts, `must have at most ${maxContentParts} parts`),
      z.null(),
    ])
    .optional(),
  name: z.string().max(maxNameLength, atMost(maxNameLength)).optional(),
  // Assistant turns that called tools, and the tools' answers (provider models only).
  tool_calls: z.array(toolCallSchema).max(maxToolCalls, `must have at most ${maxToolCalls} calls`).nullish(),
  tool_call_id: z.string().min(1).max(maxIdLength, atMost(maxIdLength)).optional(),
});

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(maxModelNameLength, atMost(maxModelNameLength)),
  messages: z
    .array(messageSchema)
    .min(1, 'must contain at least one message')
    .max(maxChatMessages, `must have at most ${maxChatMessages} messages`),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).max(maxCompletionTokens).nullish(),
  max_completion_tokens: z.number().int().min(1).max(maxCompletionTokens).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.literal(1, 'only n=1 is supported').nullish(),
  user: z.string().max(maxNameLength, atMost(maxNameLength)).optional(),
  // Passed through to provider models; the built-in model has no tools and answers in text.
  tools: z.array(toolSchema).max(maxTools, `must have at most ${maxTools} tools`).nullish(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: functionName }) }),
    ])
    .nullish(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).nullish(),
  stop: z
    .union([
      z.string().max(maxStopLength, atMost(maxStopLength)),
      z
        .array(z.string().max(maxStopLength, atMost(maxStopLength)))
        .max(maxStops, `must have at most ${maxStops} sequences`),
    ])
    .nullish(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

type RequestMessage = ChatCompletionRequest['messages'][number];

function textOf(message: RequestMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part) => part.text).join('\n');
}

/**
 * The question (the last user message) and the turns before it. Developer messages count as
 * system messages; tool messages carry no text the extractive model could use and are dropped.
 * Runs before anything is asked of policy: a question that is blank (only invisible characters
 * counts as blank), longer than a question may be, or a conversation over its limits is a 400
 * naming `messages.<n>.content` (the offending message) or `messages`.
 */
export function conversationOf(request: ChatCompletionRequest): { question: string; history: ChatMessage[] } {
  const violations: Violation[] = [];
  let lastUser = -1;
  let total = 0;
  request.messages.forEach((message, index) => {
    if (message.role === 'user') lastUser = index;
    const length = textOf(message).length;
    // Parts joined can exceed what each part may hold.
    if (length > maxMessageLength) {
      violations.push({ field: `messages.${index}.content`, message: atMost(maxMessageLength) });
    }
    total += length;
  });
  if (total > maxConversationLength) {
    violations.push({
      field: 'messages',
      message: `must hold at most ${maxConversationLength} characters of text in all (holds ${total})`,
    });
  }
  if (lastUser < 0) {
    violations.push({ field: 'messages', message: 'must contain a user message with text' });
    throw validationError(violations);
  }
  const questionField = `messages.${lastUser}.content`;
  const question = textOf(request.messages[lastUser] as RequestMessage).trim();
  const questionProblem = isBlankText(question)
    ? 'must not be empty: the last user message is the question'
    : question.length > maxQuestionLength
      ? `must be at most ${maxQuestionLength} characters: the last user message is the question`
      : undefined;
  if (questionProblem) {
    // First, so that OpenAI's `param` names the question.
    const others = violations.filter((violation) => violation.field !== questionField);
    throw validationError([{ field: questionField, message: questionProblem }, ...others]);
  }
  if (violations.length > 0) throw validationError(violations);
  const history: ChatMessage[] = [];
  for (const message of request.messages.slice(0, lastUser)) {
    if (message.role === 'tool') continue;
    const role = message.role === 'developer' ? 'system' : message.role;
    history.push({ role, content: textOf(message) });
  }
  return { question, history };
}

/**
 * The request for a provider model: every message passed through (tool turns included), with the
 * tools, tool_choice, response_format, sampling settings, stop sequences and token limit. The
 * same limits as the built-in model's, except that the conversation may end with any turn (a tool
 * result, for instance).
 */
export function generationRequestOf(request: ChatCompletionRequest, providerModelId: string): GenerationRequest {
  const violations: Violation[] = [];
  let total = 0;
  const messages: GenerationMessage[] = request.messages.map((message, index) => {
    const text = textOf(message);
    if (text.length > maxMessageLength) {
      violations.push({ field: `messages.${index}.content`, message: atMost(maxMessageLength) });
    }
    total += text.length;
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text };
      case 'user':
        return { role: 'user', content: text, ...(message.name ? { name: message.name } : {}) };
      case 'assistant': {
        const toolCalls = (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: call.function.name, arguments: call.function.arguments },
        }));
        return {
          role: 'assistant',
          content: message.content === null || message.content === undefined ? null : text,
          ...(toolCalls.length > 0 ? { toolCalls } : {}),
        };
      }
      default:
        // A tool's answer.
        if (!message.tool_call_id) {
          violations.push({ field: `messages.${index}.tool_call_id`, message: 'is required on a tool message' });
        }
        return { role: 'tool', content: text, toolCallId: message.tool_call_id ?? '' };
    }
  });
  if (total > maxConversationLength) {
    violations.push({
      field: 'messages',
      message: `must hold at most ${maxConversationLength} characters of text in all (holds ${total})`,
    });
  }
  if (violations.length > 0) throw validationError(violations);
  const stop = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? undefined);
  return {
    model: providerModelId,
    messages,
    ...(request.tools ? { tools: request.tools.map(toolOf) } : {}),
    ...(request.tool_choice ? { toolChoice: request.tool_choice as ToolChoice } : {}),
    ...(request.response_format ? { responseFormat: request.response_format } : {}),
    ...(request.temperature === null || request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === null || request.top_p === undefined ? {} : { topP: request.top_p }),
    ...(stop && stop.length > 0 ? { stop } : {}),
    ...(request.max_tokens ? { maxTokens: request.max_tokens } : {}),
    ...(request.max_completion_tokens ? { maxCompletionTokens: request.max_completion_tokens } : {}),
    ...(request.user ? { user: request.user } : {}),
    ...extraOf(request),
  };
}

/** OpenAI parameters Keel does not read, passed through to OpenAI-compatible providers as sent. */
export const passThroughParameters = [
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'parallel_tool_calls',
  'reasoning_effort',
  'service_tier',
  'verbosity',
] as const;

function extraOf(request: ChatCompletionRequest): { extra?: Record<string, unknown> } {
  const extra: Record<string, unknown> = {};
  const raw = request as Record<string, unknown>;
  for (const name of passThroughParameters) {
    if (raw[name] !== undefined && raw[name] !== null) extra[name] = raw[name];
  }
  return Object.keys(extra).length > 0 ? { extra } : {};
}

function toolOf(tool: NonNullable<ChatCompletionRequest['tools']>[number]): ToolDefinition {
  return {
    type: 'function',
    function: {
      name: tool.function.name,
      ...(tool.function.description ? { description: tool.function.description } : {}),
      ...(tool.function.parameters ? { parameters: tool.function.parameters } : {}),
      ...(typeof tool.function.strict === 'boolean' ? { strict: tool.function.strict } : {}),
    },
  };
}
