import type { Collection, DocumentStore, FindOptions } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINEAGE_COLLECTION, type LineageEntry, lineageCollectionOptions } from '../lineage/lineage-entry.js';
import {
  GOLDEN_EXAMPLES_COLLECTION,
  type GoldenExample,
  goldenExamplesCollectionOptions,
  REVIEWED_ANSWERS_DATASET,
} from './golden-example.js';
import { EXPORT_PAGE_SIZE, TRAINING_SYSTEM_PROMPT, trainingDataLines } from './training-export.js';

function example(id: string, overrides: Partial<GoldenExample> = {}): GoldenExample {
  return {
    id,
    tenantId: 'acme',
    datasetId: REVIEWED_ANSWERS_DATASET,
    readRequires: [],
    question: `Question ${id}?`,
    answer: `Answer ${id}.`,
    label: 'approved',
    source: 'human-review',
    originalAnswer: `Answer ${id}.`,
    requestId: `req-${id}`,
    traceId: '',
    reviewer: 'alice',
    comment: '',
    citations: [],
    contexts: [],
    missing: [],
    complete: true,
    decidedAt: 1_000,
    createdAt: 1_000,
    ...overrides,
  };
}

let store: DocumentStore;
let examples: Collection<GoldenExample>;
let lineage: Collection<LineageEntry>;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  examples = await store.collection<GoldenExample>(GOLDEN_EXAMPLES_COLLECTION, goldenExamplesCollectionOptions);
  lineage = await store.collection<LineageEntry>(LINEAGE_COLLECTION, lineageCollectionOptions);
});

afterEach(async () => {
  await store.close();
});

describe('trainingDataLines', () => {
  it('reads the store a page at a time as lines are pulled, oldest first, every line valid JSON', async () => {
    const total = EXPORT_PAGE_SIZE * 2 + 50;
    for (let index = 0; index < total; index++) {
      await examples.insert(example(`ex-${String(index).padStart(4, '0')}`, { createdAt: 1_000 + index }));
    }
    let finds = 0;
    const counted: Collection<GoldenExample> = {
      ...examples,
      find: (options?: FindOptions) => {
        finds++;
        return examples.find(options);
      },
    };
    const lines = trainingDataLines(
      { examples: counted, lineage },
      { tenantId: 'acme', aclGroups: [] },
      REVIEWED_ANSWERS_DATASET,
      'positives',
    );
    const first = await lines.next();
    expect(finds).toBe(1);
    const ids = [JSON.parse(first.value as string).metadata.reviewId as string];
    for await (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      const parsed = JSON.parse(line);
      expect(parsed.messages[0]).toEqual({ role: 'system', content: TRAINING_SYSTEM_PROMPT });
      ids.push(parsed.metadata.reviewId);
    }
    expect(ids).toHaveLength(total);
    expect(ids).toEqual([...ids].sort());
    expect(finds).toBe(3);
  });

  it('labels by outcome: positives hold approved and corrected, negatives the rejected', async () => {
    await examples.insert(example('a', { label: 'approved', createdAt: 1 }));
    await examples.insert(
      example('c', { label: 'corrected', answer: 'Fixed.', originalAnswer: 'Wrong.', createdAt: 2 }),
    );
    await examples.insert(example('r', { label: 'rejected', answer: 'Bad.', originalAnswer: 'Bad.', createdAt: 3 }));
    const collect = async (kind: 'positives' | 'negatives') => {
      const out: { id: string; label: string; assistant: string; original: string | null }[] = [];
      for await (const line of trainingDataLines(
        { examples, lineage },
        { tenantId: 'acme', aclGroups: [] },
        REVIEWED_ANSWERS_DATASET,
        kind,
      )) {
        const parsed = JSON.parse(line);
        out.push({
          id: parsed.metadata.reviewId,
          label: parsed.metadata.label,
          assistant: parsed.messages[2].content,
          original: parsed.metadata.originalAnswer,
        });
      }
      return out;
    };
    expect(await collect('positives')).toEqual([
      { id: 'a', label: 'approved', assistant: 'Answer a.', original: null },
      { id: 'c', label: 'corrected', assistant: 'Fixed.', original: 'Wrong.' },
    ]);
    expect(await collect('negatives')).toEqual([{ id: 'r', label: 'rejected', assistant: 'Bad.', original: null }]);
  });
});
