/**
 * The judge's answer, validated: one JSON object `{ rating: 1-5, reason }`. Models wrap JSON in
 * code fences or prose now and then, so the first balanced object in the reply is taken; anything
 * else (no object, invalid JSON, a rating out of range) is garbage, retried by the judge.
 */
import { z } from '@keel/platform';

export const judgeOutputSchema = z.object({
  rating: z.number().int().min(1).max(5),
  reason: z.string().max(4_000).default(''),
});

export type JudgeOutput = z.infer<typeof judgeOutputSchema>;

/** The first balanced `{...}` of the text, respecting strings; undefined when there is none. */
export function firstJsonObject(text: string): string | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return text.slice(start, index + 1);
  }
  return undefined;
}

export type ParsedJudgeOutput = { ok: true; output: JudgeOutput } | { ok: false; reason: string };

export function parseJudgeOutput(content: string): ParsedJudgeOutput {
  const json = firstJsonObject(content.slice(0, 65_536));
  if (json === undefined) return { ok: false, reason: 'no JSON object in the reply' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'the reply holds invalid JSON' };
  }
  const parsed = judgeOutputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason:
        `the reply does not match the schema: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    };
  }
  return { ok: true, output: parsed.data };
}

/** A rating of 1-5 as a score in [0, 1]. */
export function scoreOfRating(rating: number): number {
  return (rating - 1) / 4;
}
