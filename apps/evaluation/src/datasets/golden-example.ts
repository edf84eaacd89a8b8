/**
 * A labelled example in a golden dataset (collection `golden_examples`): what a reviewer
 * decided about one answer, kept to evaluate prompts, models and retrieval against later.
 *
 * An example is complete when it holds a question and an answer to compare against. Review items
 * from a policy escalation may hold only half of the exchange (an input escalation has no answer,
 * an output escalation no question): their examples record what they lack and are left out of
 * listings and exports unless asked for.
 */
import type { Citation } from '@keel/contracts/common/v1';
import type { ContextChunk } from '@keel/contracts/events/v1/inference';
import type { CollectionOptions } from '@keel/doc-store';
import type { GroupRequirement } from '@keel/platform';

export const GOLDEN_EXAMPLES_COLLECTION = 'golden_examples';

/** The dataset human-review decisions land in. */
export const REVIEWED_ANSWERS_DATASET = 'reviewed-answers';

export const goldenExamplesCollectionOptions: CollectionOptions = {
  indexes: [{ fields: ['tenantId', 'datasetId', 'createdAt'] }],
};

export type ExampleLabel = 'approved' | 'rejected' | 'corrected';

// A type alias, not an interface: the store's `Collection<T>` needs T's implicit index signature.
export type GoldenExample = {
  /** The review id: one decision, one example. */
  id: string;
  tenantId: string;
  datasetId: string;
  /**
   * Who may read the example (it quotes the exchange and its chunks): the decision's
   * `readRequires` combined with its contexts' ACL groups. Empty: the whole tenant.
   */
  readRequires: GroupRequirement[];
  question: string;
  /** The corrected answer when the reviewer corrected it, else the original. */
  answer: string;
  label: ExampleLabel;
  source: 'human-review';
  /** The answer the model gave, kept when it was corrected. */
  originalAnswer: string;
  requestId: string;
  traceId: string;
  reviewer: string;
  comment: string;
  /** The citations and contexts the decided answer was grounded on (contexts keep their ACL groups). */
  citations: Citation[];
  contexts: ContextChunk[];
  /** What the example lacks: "question", "answer" (sorted); empty when complete. */
  missing: string[];
  /** True when nothing is missing: only complete examples are listed and exported by default. */
  complete: boolean;
  /** Epoch milliseconds: when the reviewer decided. */
  decidedAt: number | null;
  createdAt: number;
};
