/**
 * The request body of `POST /v1/chat/completions`, validated as OpenAI validates it (the fields
 * Keel uses, typed; unknown fields tolerated, since SDKs add new ones before servers know them).
 */
import type { ChatMessage } from '@keel/models';
import { validationError, z } from '@keel/platform';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  // Only text: an image or audio part is a 400, not silently dropped.
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
  name: z.string().optional(),
});

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1, 'must contain at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.literal(1, 'only n=1 is supported').nullish(),
  user: z.string().optional(),
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
 */
export function conversationOf(request: ChatCompletionRequest): { question: string; history: ChatMessage[] } {
  let lastUser = -1;
  request.messages.forEach((message, index) => {
    if (message.role === 'user') lastUser = index;
  });
  const question = lastUser >= 0 ? textOf(request.messages[lastUser] as RequestMessage).trim() : '';
  if (!question) {
    throw validationError([{ field: 'messages', message: 'must contain a user message with text' }]);
  }
  const history: ChatMessage[] = [];
  for (const message of request.messages.slice(0, lastUser)) {
    if (message.role === 'tool') continue;
    const role = message.role === 'developer' ? 'system' : message.role;
    history.push({ role, content: textOf(message) });
  }
  return { question, history };
}
