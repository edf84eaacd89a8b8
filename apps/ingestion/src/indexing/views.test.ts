import { describe, expect, it } from 'vitest';
import type { ChunkRecord } from './records.js';
import { chunkLineageView } from './views.js';

const record = (extra: Partial<ChunkRecord> = {}): ChunkRecord => ({
  id: 'acme/manual:v1:0',
  tenantId: 'acme',
  documentId: 'manual',
  documentVersion: 'v1',
  chunkId: 'manual:v1:0',
  index: 0,
  startOffset: 0,
  endOffset: 120,
  headingPath: [],
  tokenCount: 30,
  jobId: 'job-1',
  source: 'share://manual.pdf',
  parser: 'pdf-unpdf-v1',
  embedder: 'wink-sg-100d-sif-v1',
  embedderDimensions: 100,
  chunker: { maxTokens: 200, overlapTokens: 30 },
  collection: 'keel_chunks',
  createdAt: Date.UTC(2026, 11, 5),
  ...extra,
});

describe('chunkLineageView', () => {
  it('shows the pages a PDF chunk is on, as search hits name them', () => {
    const view = chunkLineageView(record({ pages: [2, 3, 4] }));
    expect(view.page).toBe(2);
    expect(view.pageEnd).toBe(4);
  });

  it('has no page for a chunk of a document without pages', () => {
    const view = chunkLineageView(record());
    expect('page' in view).toBe(false);
    expect('pageEnd' in view).toBe(false);
    expect(view.parser).toBe('pdf-unpdf-v1');
  });
});
