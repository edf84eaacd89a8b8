/**
 * The embedded ChatModel: a deterministic extractive answerer. It never writes a word of its
 * own; it quotes the sentences of the retrieved contexts that best cover the question, each
 * followed by its citation marker, or says it found nothing. That makes it a dependable
 * default for a machine with no model server, and a model whose answers tests can predict.
 */
import type { ChatModel, ChatQuote, ChatRequest, ChatResponse, ModelDescriptor } from '../chat-model.js';
import { type RankedSentence, rankSentences } from './sentence-ranking.js';
import { estimateTokens } from './token-estimate.js';

export const extractiveModelDescriptor: ModelDescriptor = {
  id: 'keel-extractive-v1',
  provider: 'embedded',
  ownedBy: 'keel',
};

export const notFoundAnswer = 'I could not find this in the indexed documents.';

export interface ExtractiveChatModelOptions {
  /** The least share of the question's term weight a quoted sentence must cover; default 0.3. */
  relevanceFloor?: number;
  /** At most this many sentences are quoted; default 3. */
  maxSentences?: number;
  /**
   * A sentence after the first must score at least this fraction of the best, and must cover a
   * question term the answer does not cover yet; default 0.6.
   */
  followerRatio?: number;
}

// Per-message framing a chat prompt adds around each message or context (role, separators).
const framingTokensPerPart = 4;

export function createExtractiveChatModel(options: ExtractiveChatModelOptions = {}): ChatModel {
  const relevanceFloor = options.relevanceFloor ?? 0.3;
  const maxSentences = options.maxSentences ?? 3;
  const followerRatio = options.followerRatio ?? 0.6;

  return {
    descriptor: extractiveModelDescriptor,
    async complete(request: ChatRequest): Promise<ChatResponse> {
      const question = lastUserMessage(request);
      const ranked = rankSentences(question, request.contexts);
      const picked = pickSentences(ranked, { relevanceFloor, maxSentences, followerRatio });
      const { content, quotes, truncated } = composeAnswer(picked, request.maxTokens);
      const citedMarkers = [...new Set(quotes.map((quote) => quote.marker))];
      return {
        content,
        citedMarkers,
        quotes,
        usage: { promptTokens: promptTokensOf(request), completionTokens: estimateTokens(content) },
        finishReason: truncated ? 'length' : 'stop',
      };
    },
  };
}

function lastUserMessage(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message?.role === 'user') return message.content;
  }
  return '';
}

function pickSentences(
  ranked: readonly RankedSentence[],
  limits: { relevanceFloor: number; maxSentences: number; followerRatio: number },
): RankedSentence[] {
  const best = ranked[0];
  if (!best || best.relevance < limits.relevanceFloor) return [];
  const picked: RankedSentence[] = [];
  const covered = new Set<string>();
  for (const sentence of ranked) {
    if (picked.length >= limits.maxSentences) break;
    if (sentence.relevance < limits.relevanceFloor || sentence.score < best.score * limits.followerRatio) break;
    // A quote that adds no question term only repeats the answer (overlapping chunks repeat
    // whole sentences); the better-ranked copy came first and stays.
    const adds = sentence.matchedTerms.filter((term) => !covered.has(term));
    if (picked.length > 0 && adds.length === 0) continue;
    for (const term of adds) covered.add(term);
    picked.push(sentence);
  }
  return picked;
}

function composeAnswer(
  picked: readonly RankedSentence[],
  maxTokens: number | undefined,
): { content: string; quotes: ChatQuote[]; truncated: boolean } {
  if (picked.length === 0) return { content: notFoundAnswer, quotes: [], truncated: false };
  const parts: string[] = [];
  const quotes: ChatQuote[] = [];
  for (const sentence of picked) {
    const part = `${collapseWhitespace(sentence.text)} [${sentence.marker}]`;
    const candidate = [...parts, part].join(' ');
    if (maxTokens !== undefined && estimateTokens(candidate) > maxTokens) {
      if (parts.length === 0) return { content: truncateToTokens(part, maxTokens), quotes: [], truncated: true };
      return { content: parts.join(' '), quotes, truncated: true };
    }
    parts.push(part);
    quotes.push({ marker: sentence.marker, text: sentence.text, start: sentence.start, end: sentence.end });
  }
  return { content: parts.join(' '), quotes, truncated: false };
}

// A budget too small for one whole sentence still gets its opening words, as a provider would.
function truncateToTokens(text: string, maxTokens: number): string {
  const words = text.split(' ');
  let kept = '';
  for (const word of words) {
    const next = kept ? `${kept} ${word}` : word;
    if (estimateTokens(next) > maxTokens) break;
    kept = next;
  }
  return kept;
}

function promptTokensOf(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) tokens += framingTokensPerPart + estimateTokens(message.content);
  for (const context of request.contexts) {
    tokens += framingTokensPerPart + estimateTokens(`[${context.marker}] ${context.title}\n${context.text}`);
  }
  return tokens;
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
