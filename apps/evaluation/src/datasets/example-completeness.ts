/**
 * What a golden example lacks. An example is a question and the answer to hold a model to (the
 * reviewer's correction, else the answer the reviewer approved or rejected); without either it is
 * no test case. Text made only of invisible characters counts as absent.
 */
import { isBlankText } from '@keel/text/checks';
import type { ExampleLabel, GoldenExample } from './golden-example.js';

export const EXAMPLE_PARTS = ['question', 'answer'] as const;

interface ExampleParts {
  question: string;
  /** The example's answer: the correction when corrected, else the original answer. */
  answer: string;
  label: ExampleLabel;
}

/**
 * The parts an example lacks, sorted and without repeats. `declared` is what the reviewed
 * exchange lacked according to its producer (`ReviewDecided.missing`); a blank question or
 * answer is missing even when nothing was declared. A correction supplies the answer an input
 * escalation lacked (the reviewer wrote it), but never a question.
 */
export function missingParts(example: ExampleParts, declared: readonly string[] = []): string[] {
  const missing = new Set(declared.map((part) => part.trim()).filter((part) => part.length > 0));
  if (example.label === 'corrected' && !isBlankText(example.answer)) missing.delete('answer');
  if (isBlankText(example.question)) missing.add('question');
  if (isBlankText(example.answer)) missing.add('answer');
  return [...missing].sort();
}

/** Complete by its stored flag; examples stored before the flag existed are judged by their text. */
export function isCompleteExample(example: GoldenExample): boolean {
  return typeof example.complete === 'boolean' ? example.complete : missingParts(example).length === 0;
}
