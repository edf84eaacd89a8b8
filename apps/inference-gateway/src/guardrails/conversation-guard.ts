/**
 * The input check of a whole conversation: every message that carries text (system prompts,
 * earlier user turns, assistant turns and their tool-call arguments, tool results, and the
 * question) is checked on its own, concurrently, so each finding points into the message it was
 * found in and each redaction applies to that message only. The strictest verdict decides: one
 * BLOCK refuses the request (the caller throws `messageBlocked`, or its own error for a question).
 */
import type { GenerationMessage } from '@keel/models';
import { GrpcCode, KeelError } from '@keel/platform';
import { isBlankText } from '@keel/text';
import type { PolicyDecision, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';

/** One text of a conversation: `path` is where it sits in its message (`content`, `tool_calls[0].function.arguments`). */
export interface ConversationPart {
  message: number;
  path: string;
  text: string;
}

export interface MessageFinding {
  /** Index of the message in the request's `messages`. */
  message: number;
  path: string;
  type: string;
  /** UTF-16 offsets into that text as sent, end exclusive. */
  start: number;
  end: number;
  ruleId: string;
}

export interface ConversationVerdict {
  /** One per part, in order; undefined for a blank part (nothing to check). */
  verdicts: (PolicyVerdict | undefined)[];
  /** The strictest verdict (the first of equals), undefined when nothing was checked. */
  worst: PolicyVerdict | undefined;
  decision: PolicyDecision;
  findings: MessageFinding[];
  /** The part whose BLOCK decided, when one did. */
  blocked?: ConversationPart;
}

export const decisionSeverity: Record<PolicyDecision, number> = { ALLOW: 0, REDACT: 1, ESCALATE: 2, BLOCK: 3 };

export async function checkConversation(
  gate: PolicyGate,
  input: { tenantId: string; requestId: string; parts: readonly ConversationPart[] },
): Promise<ConversationVerdict> {
  const verdicts = await Promise.all(
    input.parts.map((part) =>
      isBlankText(part.text)
        ? Promise.resolve(undefined)
        : gate.check({
            tenantId: input.tenantId,
            stage: 'input',
            text: part.text,
            contexts: [],
            requestId: input.requestId,
            // The caller's own text: nothing restricted yet.
            readRequires: [],
          }),
    ),
  );
  let worst: PolicyVerdict | undefined;
  let worstIndex = -1;
  verdicts.forEach((verdict, index) => {
    if (verdict && (!worst || decisionSeverity[verdict.decision] > decisionSeverity[worst.decision])) {
      worst = verdict;
      worstIndex = index;
    }
  });
  const findings = input.parts.flatMap((part, index) =>
    (verdicts[index]?.findings ?? []).map((finding) => ({
      message: part.message,
      path: part.path,
      type: finding.type,
      start: finding.start,
      end: finding.end,
      ruleId: finding.ruleId,
    })),
  );
  const decision = worst?.decision ?? 'ALLOW';
  const blocked = decision === 'BLOCK' ? input.parts[worstIndex] : undefined;
  return { verdicts, worst, decision, findings, ...(blocked ? { blocked } : {}) };
}

/**
 * A message the tenant's policy refuses: 422 / FAILED_PRECONDITION like a blocked question (400
 * `content_policy_violation` on the OpenAI routes), the field naming the message.
 */
export function messageBlocked(verdict: PolicyVerdict, part: Pick<ConversationPart, 'message' | 'path'>): KeelError {
  const field = `messages.${part.message}.${part.path}`;
  const reason = verdict.reason || 'the tenant policy does not allow it';
  const where = field.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  return new KeelError(`${where} was blocked by policy: ${reason}`, {
    code: 'POLICY.BLOCKED',
    httpStatus: 422,
    grpcCode: GrpcCode.FAILED_PRECONDITION,
    retryable: false,
    violations: [{ field, message: `blocked by policy: ${reason}` }],
  });
}

/**
 * The texts of a pass-through request's messages: every message's content (assistant turns too)
 * and the arguments of the tool calls an assistant made.
 */
export function conversationParts(messages: readonly GenerationMessage[]): ConversationPart[] {
  return messages.flatMap((message, index) => {
    const parts: ConversationPart[] = [];
    if (message.content) parts.push({ message: index, path: 'content', text: message.content });
    if (message.role === 'assistant') {
      (message.toolCalls ?? []).forEach((call, at) => {
        parts.push({ message: index, path: `tool_calls.${at}.function.arguments`, text: call.function.arguments });
      });
    }
    return parts;
  });
}

/** The message with policy's redactions (keyed `<message>/<path>`) applied where they were found. */
export function withRedactions(
  message: GenerationMessage,
  index: number,
  redacted: ReadonlyMap<string, string>,
): GenerationMessage {
  const content = redacted.get(`${index}/content`);
  const next = content === undefined ? message : ({ ...message, content } as GenerationMessage);
  if (next.role !== 'assistant' || !next.toolCalls) return next;
  return {
    ...next,
    toolCalls: next.toolCalls.map((call, at) => {
      const args = redacted.get(`${index}/tool_calls.${at}.function.arguments`);
      return args === undefined ? call : { ...call, function: { ...call.function, arguments: args } };
    }),
  };
}
