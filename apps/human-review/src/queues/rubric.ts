/**
 * A decision's rubric answers, checked against the item's queue rubric. Each answer is optional
 * (a reviewer may leave a score out), but what is given must be in the rubric and in range:
 * an unknown key, a score outside [min, max], an option not offered, or notes the queue does not
 * ask for are 400s naming the field (`rubric.scores.accuracy`).
 */
import type { Violation } from '@keel/platform';
import type { RubricAnswers } from '../reviews/review-item.js';
import { QUEUE_LIMITS, type Rubric } from './review-queue.js';

export function rubricViolations(rubric: Rubric, answers: RubricAnswers | undefined): Violation[] {
  if (!answers) return [];
  const violations: Violation[] = [];
  for (const [key, value] of Object.entries(answers.scores ?? {})) {
    const field = `rubric.scores.${key}`;
    const score = rubric.scores.find((candidate) => candidate.key === key);
    if (!score) violations.push({ field, message: 'is not a score of this queue' });
    else if (!Number.isFinite(value) || value < score.min || value > score.max) {
      violations.push({ field, message: `must be a number from ${score.min} to ${score.max}` });
    }
  }
  for (const [key, value] of Object.entries(answers.categories ?? {})) {
    const field = `rubric.categories.${key}`;
    const category = rubric.categories.find((candidate) => candidate.key === key);
    if (!category) violations.push({ field, message: 'is not a category of this queue' });
    else if (!category.options.includes(value)) {
      violations.push({ field, message: `must be one of ${category.options.join(', ')}` });
    }
  }
  if (answers.notes !== undefined) {
    if (!rubric.notes) violations.push({ field: 'rubric.notes', message: 'this queue takes no notes' });
    else if (answers.notes.length > QUEUE_LIMITS.rubricNotesChars) {
      violations.push({ field: 'rubric.notes', message: `at most ${QUEUE_LIMITS.rubricNotesChars} characters` });
    }
  }
  return violations;
}
