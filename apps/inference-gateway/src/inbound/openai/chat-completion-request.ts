/**
 * The request body of `POST /v1/chat/completions`, validated as OpenAI validates it (the fields
 * Keel uses, typed; unknown fields tolerated, since SDKs add new ones before servers know them),
 * within Keel's limits (answer-limits.ts). Violations name the field the OpenAI way once
 * openai-errors.ts has shaped them: `messages[3].content`.
 */
import type { ChatMessage } from '@keel/models';
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
