/**
 * Which completions groundedness applies to. Every request the gateway serves is published, but a
 * failed request has no answer to score, and a pass-through chat completion with a provider model
 * was not grounded on retrieved passages: scoring it against nothing would call every claim
 * unsupported and flood the review queue. An embeddings request has no answer at all. Those are
 * counted, not scored.
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { isJudgeCompletion } from '../judge/judge-prompt.js';

/** Why an event is not scored, or undefined when it is. */
export function notScoredBecause(event: InferenceCompleted): string | undefined {
  // Before the failure check: a failed embeddings request is still not an answer that failed.
  if (event.operation === 'embeddings' || event.endpoint === '/v1/embeddings') {
    return 'an embeddings request: no answer to score';
  }
  if (event.errorCode) return `the request failed (${event.errorCode})`;
  // Judging the judge's own completions would feed on itself, one completion begetting the next.
  if (isJudgeCompletion(event.question)) return "the evaluation judge's own completion";
  if (event.endpoint === '/v1/chat/completions' && event.contexts.length === 0 && event.provider !== 'embedded') {
    return 'a pass-through chat completion: nothing was retrieved to ground it';
  }
  return undefined;
}
