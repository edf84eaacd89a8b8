/**
 * Search for applications (`POST /v1/search`): the caller's query over its tenant's chunks,
 * answered by the retrieval service. The scope (tenant and ACL groups) comes from the caller's API
 * key and nothing else, so no request can widen it; everything else is the caller's to choose.
 */

export type SearchMode = 'hybrid' | 'dense' | 'keyword';

export interface NumberRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** One condition on a document metadata entry. */
export type MetadataCondition =
  | { key: string; equals: string }
  | { key: string; anyOf: string[] }
  | { key: string; range: NumberRange }
  | { key: string; exists: boolean };

export interface ChunkSearchRequest {
  tenantId: string;
  aclGroups: readonly string[];
  query: string;
  topK: number;
  mode: SearchMode;
  conditions: readonly MetadataCondition[];
  mmr?: { lambda?: number; candidates?: number };
  /** Undefined: the retrieval service's configuration decides. */
  rerank?: boolean;
  rerankCandidates?: number;
}

export interface TextRange {
  start: number;
  end: number;
}

export interface FoundChunk {
  documentId: string;
  documentVersion: string;
  chunkId: string;
  title: string;
  source: string;
  text: string;
  startOffset: number;
  endOffset: number;
  score: number;
  denseRank: number;
  keywordRank: number;
  snippet: { text: string; highlights: TextRange[] };
  metadata: Record<string, string>;
  page?: number;
  pageEnd?: number;
  rerankScore?: number;
}

export interface ChunkSearchResult {
  chunks: FoundChunk[];
  reranked: boolean;
  reranker: string;
}

/** The search port: the retrieval service's gRPC client implements it (outbound/grpc-retriever.ts). */
export interface ChunkSearcher {
  searchChunks(request: ChunkSearchRequest): Promise<ChunkSearchResult>;
}

export interface SearchCaller {
  tenantId: string;
  aclGroups: readonly string[];
}

export type SearchOptions = Omit<ChunkSearchRequest, 'tenantId' | 'aclGroups'>;

export interface SearchHit extends Omit<FoundChunk, 'snippet' | 'denseRank' | 'keywordRank'> {
  snippet: { text: string; highlights: TextRange[]; html: string };
  ranks: { dense: number; keyword: number };
}

export interface SearchResult {
  hits: SearchHit[];
  mode: SearchMode;
  reranked: boolean;
  reranker?: string;
}

export type SearchDocuments = (caller: SearchCaller, options: SearchOptions) => Promise<SearchResult>;

export function createSearchDocuments(searcher: ChunkSearcher): SearchDocuments {
  return async (caller, options) => {
    const result = await searcher.searchChunks({
      ...options,
      // Last, so that nothing in the options can name another tenant or more groups.
      tenantId: caller.tenantId,
      aclGroups: [...caller.aclGroups],
    });
    return {
      hits: result.chunks.map(hitOf),
      mode: options.mode,
      reranked: result.reranked,
      ...(result.reranked && result.reranker ? { reranker: result.reranker } : {}),
    };
  };
}

function hitOf(chunk: FoundChunk): SearchHit {
  const { snippet, denseRank, keywordRank, ...rest } = chunk;
  return {
    ...rest,
    snippet: { ...snippet, html: highlightedHtml(snippet.text, snippet.highlights) },
    ranks: { dense: denseRank, keyword: keywordRank },
  };
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character] as string);
}

/**
 * The snippet as HTML: the text escaped (a document's own markup never reaches the page as markup)
 * and each highlight wrapped in `<mark>`. Ranges out of order, overlapping or out of bounds are skipped.
 */
export function highlightedHtml(text: string, highlights: readonly TextRange[]): string {
  let html = '';
  let position = 0;
  for (const { start, end } of highlights) {
    if (!(Number.isInteger(start) && Number.isInteger(end)) || start < position || end <= start || end > text.length) {
      continue;
    }
    html += `${escapeHtml(text.slice(position, start))}<mark>${escapeHtml(text.slice(start, end))}</mark>`;
    position = end;
  }
  return html + escapeHtml(text.slice(position));
}
