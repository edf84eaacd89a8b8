import { englishStopwords } from './english-stopwords.js';

// Letters with their combining marks (Devanagari vowel signs...) and digits; everything else separates terms, so
// `state-of-the-art` gives `state`, `art` and `don't` gives `don`, `t` (both later dropped).
const termPattern = /[\p{L}\p{M}\p{N}]+/gu;
// Only marks on Latin letters are folded: in other scripts (Devanagari vowel signs, Cyrillic й)
// the mark is part of the letter.
const latinDiacritics = /(?<=\p{Script=Latin})\p{Mn}+/gu;
// Longer "terms" are base64 blobs, hashes or URLs run together: noise for BM25.
const maxTermLength = 40;

/**
 * The terms keyword search indexes and queries: compatibility-normalised (NFKC), lowercased,
 * Latin accents folded (`café` → `cafe`), split on anything that is not a letter or digit, English
 * stopwords removed. No stemming: no stemmer ships with the installed packages, and an
 * approximate one would make the two vector-index adapters disagree with BM25 engines.
 * Order and repetitions are kept: term frequencies matter to BM25.
 */
export function tokenizeForSearch(text: string): string[] {
  const folded = text.normalize('NFKD').replace(latinDiacritics, '').normalize('NFKC').toLowerCase();
  const terms: string[] = [];
  for (const match of folded.matchAll(termPattern)) {
    const term = match[0];
    if (term.length <= maxTermLength && !englishStopwords.has(term)) terms.push(term);
  }
  return terms;
}
