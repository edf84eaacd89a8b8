/**
 * Retraining data: a golden dataset's reviewed examples as chat fine-tuning JSONL, the format
 * OpenAI, Azure OpenAI, Together, Fireworks, Axolotl and TRL's SFT trainer read:
 * `{"messages":[{"role":"system",...},{"role":"user",...},{"role":"assistant",...}]}` per line.
 *
 * - `positives` (the default): approved answers as they were, corrected ones with the reviewer's
 *   correction as the assistant turn. This is what to train on.
 * - `negatives`: rejected answers, the assistant turn being the answer the reviewer rejected,
 *   exported separately so that they are never mixed into supervised training by accident (they
 *   serve preference tuning and failure analysis).
 *
 * The system turn is the instruction and the numbered sources the answer was grounded on, as the
 * gateway numbers them for its `[n]` markers. Provenance rides in a top-level `metadata` object,
 * which fine-tuning tools ignore: review, request and trace ids, reviewer, label, the model and
 * provider that answered and the policy versions that decided, from the request's lineage.
 *
 * Streamed page by page from the store (constant memory), scoped to the caller's tenant and to the
 * examples its ACL groups may read; only complete examples (a question and an answer), oldest first.
 */
import type { Collection, Filter } from '@keel/doc-store';
import { findVisiblePage } from '@keel/doc-store';
import { readLineageEntries } from '../lineage/answer-lineage.js';
import type { LineageEntry } from '../lineage/lineage-entry.js';
import { exampleReadableBy, type Reader } from './dataset-queries.js';
import { isCompleteExample } from './example-completeness.js';
import type { ExampleLabel, GoldenExample } from './golden-example.js';

export const TRAINING_EXPORT_KINDS = ['positives', 'negatives'] as const;
export type TrainingExportKind = (typeof TRAINING_EXPORT_KINDS)[number];

const LABELS_OF: Record<TrainingExportKind, ExampleLabel[]> = {
  positives: ['approved', 'corrected'],
  negatives: ['rejected'],
};

/** Examples read from the store at a time: the export holds at most one page. */
export const EXPORT_PAGE_SIZE = 100;

export const TRAINING_SYSTEM_PROMPT =
  'Answer the question using only the numbered sources below. Cite each source you use with its number in brackets, like [1]. If the sources do not contain the answer, say that you cannot find it.';

export interface TrainingExportDeps {
  examples: Collection<GoldenExample>;
  lineage: Collection<LineageEntry>;
}

export interface ChatTrainingLine {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  metadata: {
    datasetId: string;
    exampleId: string;
    reviewId: string;
    requestId: string;
    traceId: string;
    label: ExampleLabel;
    reviewer: string;
    decidedAt: string | null;
    /** The answer the model gave, when the assistant turn is not it (a correction). */
    originalAnswer: string | null;
    model: string | null;
    provider: string | null;
    policyVersions: { stage: string; decision: string; policyVersion: string }[];
    evaluatorVersion: string | null;
    sources: { marker: number; documentId: string; documentVersion: string; chunkId: string }[];
  };
}

export function systemPromptOf(example: GoldenExample): string {
  const contexts = example.contexts ?? [];
  if (contexts.length === 0) return TRAINING_SYSTEM_PROMPT;
  const sources = contexts.map((context, index) => `[${index + 1}] ${context.text}`).join('\n\n');
  return `${TRAINING_SYSTEM_PROMPT}\n\nSources:\n\n${sources}`;
}

/** Model, provider and policy versions of the answered request, when its events were recorded. */
function provenanceOf(entries: LineageEntry[]) {
  let model: string | null = null;
  let provider: string | null = null;
  let evaluatorVersion: string | null = null;
  const policyVersions: ChatTrainingLine['metadata']['policyVersions'] = [];
  for (const entry of entries) {
    if (entry.kind === 'completion') {
      model = entry.completion.model || null;
      provider = entry.completion.provider || null;
    } else if (entry.kind === 'policy') {
      const { stage, decision, policyVersion } = entry.policy;
      policyVersions.push({ stage, decision, policyVersion });
    } else if (entry.kind === 'evaluation') {
      evaluatorVersion = entry.evaluation.evaluatorVersion;
    }
  }
  return { model, provider, policyVersions, evaluatorVersion };
}

export function trainingLineOf(example: GoldenExample, lineage: LineageEntry[]): ChatTrainingLine {
  return {
    messages: [
      { role: 'system', content: systemPromptOf(example) },
      { role: 'user', content: example.question },
      // The correction when corrected, else the answer the reviewer approved or rejected.
      { role: 'assistant', content: example.answer },
    ],
    metadata: {
      datasetId: example.datasetId,
      exampleId: example.id,
      reviewId: example.id,
      requestId: example.requestId,
      traceId: example.traceId,
      label: example.label,
      reviewer: example.reviewer,
      decidedAt: example.decidedAt === null ? null : new Date(example.decidedAt).toISOString(),
      originalAnswer: example.label === 'corrected' ? example.originalAnswer : null,
      ...provenanceOf(lineage),
      sources: (example.contexts ?? []).map((context, index) => ({
        marker: index + 1,
        documentId: context.documentId,
        documentVersion: context.documentVersion,
        chunkId: context.chunkId,
      })),
    },
  };
}

/**
 * The export, one line (JSON and a newline) at a time. Pages are read as the consumer pulls, so a
 * slow client holds one page in memory, never the dataset.
 */
export async function* trainingDataLines(
  deps: TrainingExportDeps,
  reader: Reader,
  datasetId: string,
  kind: TrainingExportKind,
): AsyncGenerator<string> {
  const where: Filter = {
    tenantId: reader.tenantId,
    datasetId,
    complete: { $ne: false },
    label: { $in: LABELS_OF[kind] },
  };
  let cursor: string | undefined;
  do {
    const page = await findVisiblePage(
      deps.examples,
      {
        where,
        // Oldest first: examples recorded while the export runs come after the cursor.
        orderBy: { field: 'createdAt', direction: 'asc' },
        limit: EXPORT_PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      },
      // Examples stored before `complete` existed are judged by their text.
      { visible: (example) => exampleReadableBy(reader, example) && isCompleteExample(example) },
    );
    for (const example of page.items) {
      const lineage = example.requestId
        ? await readLineageEntries(deps.lineage, reader.tenantId, example.requestId)
        : [];
      yield `${JSON.stringify(trainingLineOf(example, lineage))}\n`;
    }
    cursor = page.nextCursor;
  } while (cursor);
}
