/**
 * A labelled example in a golden dataset (collection `golden_examples`): what a reviewer
 * decided about one answer, kept to evaluate prompts, models and retrieval against later.
 */
import type { CollectionOptions } from '@keel/doc-store';

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
  /** Epoch milliseconds: when the reviewer decided. */
  decidedAt: number | null;
  createdAt: number;
};
