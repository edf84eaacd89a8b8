/**
 * Citations of an answer: one per context the model cited, in order of first citation, with the
 * chunk's lineage and what the answer quotes of it.
 */
import type { ChatResponse } from '@keel/models';
import type { Citation } from './answer.js';
import type { RetrievedPassage } from './retriever.js';

export function citationsOf(
  completion: Pick<ChatResponse, 'citedMarkers' | 'quotes'>,
  passages: readonly RetrievedPassage[],
  options: { withQuotes: boolean },
): Citation[] {
  const citations: Citation[] = [];
  for (const marker of new Set(completion.citedMarkers)) {
    const passage = passages[marker - 1];
    // A marker without a context is the model's invention, not a source: it is not cited.
    if (!passage) continue;
    const quote = options.withQuotes
      ? (completion.quotes ?? [])
          .filter((q) => q.marker === marker)
          .map((q) => q.text.replace(/\s+/g, ' ').trim())
          .join(' … ')
      : '';
    citations.push({
      marker,
      documentId: passage.documentId,
      documentVersion: passage.documentVersion,
      title: passage.title,
      source: passage.source,
      chunkId: passage.chunkId,
      startOffset: passage.startOffset,
      endOffset: passage.endOffset,
      score: passage.score,
      quote,
    });
  }
  return citations;
}
