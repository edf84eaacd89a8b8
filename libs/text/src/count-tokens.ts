/**
 * cl100k_base token counts that cost time in proportion to the text, whatever the text: chunk
 * budgets (ingestion) and OpenAI's input limits (the gateway's embeddings) are counted here.
 *
 * The BPE of gpt-tokenizer is quadratic in the length of one pre-token, and a
 * pre-token is a run of letters, of punctuation or of whitespace: 100,000 letters without a space
 * took 35 s to count, 10,000 CJK characters without punctuation 1 s, blocking the event loop of
 * the whole gateway. This counts the text in pieces cut where cl100k's pre-tokenizer cuts anyway,
 * so the total is exact: after a letter followed by a non-letter, and before a space that follows
 * a non-space (no pre-token spans either position; the pattern has no lookbehind, and its one
 * lookahead sees whitespace or the end of text on both sides of such a cut). Only a run longer than
 * `maxRun` characters with no such position inside (no real text has one) is cut every `maxRun`
 * characters and counted a little approximately. Counting also stops once `limit` is passed.
 */
import { countBpeTokens } from './cl100k-bpe.js';

const safeCuts = /(?<=\p{L})(?=\P{L})|(?<=\S)(?= )/gu;

/** Runs longer than this are cut and counted in pieces (approximately). */
export const maxRun = 255;
/** Pieces cut at safe positions are counted together up to this length (one call per batch). */
const batchLength = 4096;

export interface TokenCount {
  /** The count, exact unless the text has a run over `maxRun`; past `limit`, the count so far. */
  tokens: number;
  /** Counting stopped early: the text has more than `limit` tokens. */
  overLimit: boolean;
}

/** Splits a run at most `maxRun` characters long each, never between the halves of a surrogate pair. */
function* cutRun(run: string): Generator<string> {
  for (let start = 0; start < run.length; ) {
    let end = Math.min(run.length, start + maxRun);
    const last = run.charCodeAt(end - 1);
    if (end < run.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield run.slice(start, end);
    start = end;
  }
}

/** The text between safe cuts, lazily: counting that stops early does not split the rest. */
function* piecesOf(text: string): Generator<string> {
  let from = 0;
  for (const cut of text.matchAll(safeCuts)) {
    if (cut.index > from) yield text.slice(from, cut.index);
    from = cut.index;
  }
  if (from < text.length) yield text.slice(from);
}

export function countTokensWithin(text: string, limit = Number.POSITIVE_INFINITY): TokenCount {
  let tokens = 0;
  let batch = '';
  const flush = () => {
    if (batch.length > 0) tokens += countBpeTokens(batch);
    batch = '';
    return tokens > limit;
  };
  for (const piece of piecesOf(text)) {
    if (piece.length <= maxRun) {
      if (batch.length + piece.length > batchLength && flush()) return { tokens, overLimit: true };
      batch += piece;
      continue;
    }
    if (flush()) return { tokens, overLimit: true };
    for (const part of cutRun(piece)) {
      tokens += countBpeTokens(part);
      if (tokens > limit) return { tokens, overLimit: true };
    }
  }
  const overLimit = flush();
  return { tokens, overLimit };
}

/** Number of cl100k_base tokens in `text` (exact for any text people write; see above). */
export function countTokens(text: string): number {
  return countTokensWithin(text).tokens;
}
