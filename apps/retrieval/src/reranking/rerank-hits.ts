/**
 * Reranking as a search step that cannot fail the search: when the reranker is down, slow or
 * answers nonsense, the hits keep the order retrieval gave them, a warning is logged, and the
 * outcome is kept for readiness (`reranker` detail on /readyz). Losing the reranker degrades
 * quality, not availability, so it never takes retrieval out of rotation.
 */
import type { Logger } from '@keel/platform';
import type { Reranker } from './reranker.js';

export interface RerankableHit {
  text: string;
  score: number;
}

export interface RerankOutcome<H> {
  hits: (H & { rerankScore?: number })[];
  reranked: boolean;
}

/** What readiness reports about the reranker: the outcome of its last call. */
export class RerankerStatus {
  private last: { ok: boolean; at: Date; detail: string } | undefined;

  constructor(private readonly reranker: Reranker) {}

  record(ok: boolean, detail: string): void {
    this.last = { ok, at: new Date(), detail };
  }

  /** Always ok (searches go on without it); the detail says whether they are being reranked. */
  check(): { ok: boolean; detail: string } {
    if (!this.last) return { ok: true, detail: `${this.reranker.id}: not called yet` };
    const at = this.last.at.toISOString();
    return this.last.ok
      ? { ok: true, detail: `${this.reranker.id}: last call succeeded at ${at}` }
      : {
          ok: true,
          detail: `degraded: ${this.reranker.id} failed at ${at} (${this.last.detail}); searches are served in retrieval order`,
        };
  }
}

/**
 * Reranks the first `candidates` hits (the rest keep their place after them); each reranked hit's
 * `score` becomes the reranker's, also kept as `rerankScore`.
 */
export async function rerankHits<H extends RerankableHit>(options: {
  reranker: Reranker;
  status: RerankerStatus;
  logger: Logger;
  query: string;
  hits: readonly H[];
  candidates: number;
  context: Record<string, unknown>;
}): Promise<RerankOutcome<H>> {
  const { reranker, status, logger, query, hits } = options;
  const head = hits.slice(0, options.candidates);
  if (head.length === 0) return { hits: [...hits], reranked: false };
  try {
    const scores = await reranker.rerank(
      query,
      head.map((hit) => hit.text),
    );
    status.record(true, '');
    const reranked = head
      .map((hit, index) => ({ hit, index, score: scores[index] as number }))
      // Stable: equal scores keep retrieval's order.
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .map(({ hit, score }) => ({ ...hit, score, rerankScore: score }));
    return { hits: [...reranked, ...hits.slice(head.length)], reranked: true };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    status.record(false, detail);
    logger.warn(
      { ...options.context, reranker: reranker.id, err: error },
      'reranker failed; the hits keep their retrieval order',
    );
    return { hits: [...hits], reranked: false };
  }
}
