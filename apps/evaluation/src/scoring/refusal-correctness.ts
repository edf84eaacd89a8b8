/**
 * Refusal correctness: did the answer decline exactly when it should have? Correct (1) are a
 * refusal when no context holds what the question asks about, and an answer whose claims are
 * mostly supported; wrong (0) are a refusal although a context covers the question (a missed
 * answer), and an answer without support (it should have declined).
 *
 * "A context covers the question" is the question's terms (answer-relevance.ts, frame words
 * left out) scored as a claim against the contexts (support.ts): support at least
 * QUESTION_SUPPORT_THRESHOLD. It is lower than the claim threshold because a question shares
 * its subject with the passage that answers it, not its wording.
 */
import { questionTerms } from './answer-relevance.js';
import type { ContextIndex, WorkBudget } from './context-index.js';
import type { MetricScore } from './score-answer.js';

export const QUESTION_SUPPORT_THRESHOLD = 0.6;
/** An answer counts as supported when at least this share of its claims is. */
export const ANSWER_SUPPORT_SHARE = 0.5;

export interface RefusalFacts {
  question: string;
  /** The answer declined and made no claims. */
  abstained: boolean;
  claims: number;
  supportedClaims: number;
}

export function refusalCorrectness(facts: RefusalFacts, contexts: ContextIndex, budget: WorkBudget): MetricScore {
  if (!facts.abstained) {
    if (facts.claims === 0) {
      return { metric: 'refusal_correctness', value: 1, explanation: 'answered without claims to support' };
    }
    const share = facts.supportedClaims / facts.claims;
    return share >= ANSWER_SUPPORT_SHARE
      ? {
          metric: 'refusal_correctness',
          value: 1,
          explanation: `answered, and ${facts.supportedClaims} of ${facts.claims} claims are supported`,
        }
      : {
          metric: 'refusal_correctness',
          value: 0,
          explanation: `answered without support (${facts.supportedClaims} of ${facts.claims} claims supported): it should have declined`,
        };
  }
  const asked = questionTerms(facts.question);
  if (asked.length === 0) {
    return { metric: 'refusal_correctness', value: 1, explanation: 'declined a question without content terms' };
  }
  const best = contexts.bestSupport(asked, budget);
  const support = Math.round(best.support * 10_000) / 10_000;
  return support >= QUESTION_SUPPORT_THRESHOLD
    ? {
        metric: 'refusal_correctness',
        value: 0,
        explanation: `declined although context ${best.chunkId} covers the question (support ${support} >= ${QUESTION_SUPPORT_THRESHOLD})`,
      }
    : {
        metric: 'refusal_correctness',
        value: 1,
        explanation: `declined, and no context covers the question (best support ${support} < ${QUESTION_SUPPORT_THRESHOLD})${best.complete ? '' : '; work limit reached'}`,
      };
}
