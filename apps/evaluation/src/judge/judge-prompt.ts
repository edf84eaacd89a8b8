/**
 * The judge's prompt: a versioned file (`prompts/<name>.v<n>.txt`), so every judge score records
 * the prompt that made it. The version id is the file's name and version plus a digest of its
 * text: an edit to the file without a new version number still changes the id.
 *
 * The file holds the system message (instructions and the material: question, passages, answer)
 * and, after a `---user---` line, the short last user message. The material goes in the system
 * message because the gateway bounds the last user message (the "question") to 4 096 characters.
 * The user message carries a marker (`[keel-evaluation-judge]`) by which evaluation recognises
 * the judge's own completions and never judges them in turn.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const JUDGE_MARKER = '[keel-evaluation-judge]';
export const DEFAULT_JUDGE_PROMPT = { name: 'answer-quality', version: 1 } as const;

/** Material bounds: the prompt stays far below the gateway's message limits. */
export const JUDGE_INPUT_LIMITS = { questionChars: 4_000, answerChars: 16_000, contexts: 20, contextChars: 4_000 };

export interface JudgePrompt {
  /** `answer-quality/1#<12 hex>`. */
  versionId: string;
  system: string;
  user: string;
}

export interface JudgeMaterial {
  question: string;
  answer: string;
  contexts: readonly { chunkId: string; text: string }[];
}

export function parseJudgePrompt(name: string, version: number, text: string): JudgePrompt {
  const [system, user] = text.split(/\n---user---\n/);
  if (!system?.includes('{{answer}}') || !user?.trim()) {
    throw new Error(`judge prompt ${name} v${version}: needs {{answer}} and a ---user--- section`);
  }
  if (!user.includes(JUDGE_MARKER))
    throw new Error(`judge prompt ${name} v${version}: the user message needs ${JUDGE_MARKER}`);
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { versionId: `${name}/${version}#${digest}`, system, user: user.trim() };
}

export function loadJudgePrompt(
  name: string = DEFAULT_JUDGE_PROMPT.name,
  version: number = DEFAULT_JUDGE_PROMPT.version,
): JudgePrompt {
  const url = new URL(`./prompts/${name}.v${version}.txt`, import.meta.url);
  return parseJudgePrompt(name, version, readFileSync(url, 'utf8'));
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)} […]`;
}

/** The chat messages for one answer: placeholders filled with bounded material. */
export function renderJudgeMessages(prompt: JudgePrompt, material: JudgeMaterial): { role: string; content: string }[] {
  const contexts =
    material.contexts.length === 0
      ? '(no passages were retrieved)'
      : material.contexts
          .slice(0, JUDGE_INPUT_LIMITS.contexts)
          .map(
            (context, index) =>
              `[${index + 1}] (${context.chunkId}) ${cut(context.text, JUDGE_INPUT_LIMITS.contextChars)}`,
          )
          .join('\n\n');
  // One pass over the template, so material holding "{{answer}}" is never substituted again.
  const values: Record<string, string> = {
    question: cut(material.question, JUDGE_INPUT_LIMITS.questionChars) || '(no question)',
    contexts,
    answer: cut(material.answer, JUDGE_INPUT_LIMITS.answerChars),
  };
  const system = prompt.system.replace(/\{\{(question|contexts|answer)\}\}/g, (_, key: string) => values[key] ?? '');
  return [
    { role: 'system', content: system },
    { role: 'user', content: prompt.user },
  ];
}

/** True for a completion the judge itself asked for. */
export function isJudgeCompletion(question: string | undefined): boolean {
  return question?.includes(JUDGE_MARKER) ?? false;
}
