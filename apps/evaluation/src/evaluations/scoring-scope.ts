/**
 * Which completions groundedness applies to. Every request the gateway serves is published, but a
 * failed request has no answer to score, and a pass-through chat completion with a provider model
 * was not grounded on retrieved passages: scoring it against nothing would call every claim
 * unsupported and flood the review queue. Those are counted, not scored.
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { isJudgeCompletion } from '../judge/judge-prompt.js';

/** Why an event is not scored, or undefined when it is. */
export function notScoredBecause(event: InferenceCompleted): string | undefined {
  if (event.errorCode) return `the request failed (${event.errorCode})`;
  // Judging the judge's own completions would feed on itself, one completion begetting the next.
  if (isJudgeCompletion(event.question)) return "the evaluation judge's own completion";
  if (event.endpoint === '/v1/chat/completions' && event.contexts.length === 0 && event.provider !== 'embedded') {
    return 'a pass-through chat completion: nothing was retrieved to ground it';
  }
  return undefined;
}
