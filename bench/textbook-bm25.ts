/**
 * A textbook BM25 (Robertson & Zaragoza, 2009), the baseline Keel's keyword search must match:
 * k1 1.2, b 0.75, idf ln(1 + (N − n + 0.5) / (n + 0.5)) (Lucene's, never negative), tokens
 * lowercase ASCII letters and digits, a small stop list. Independent of Keel's tokenizer and
 * index on purpose: it is the yardstick, not a second implementation to agree with.
 */

const stopwords = new Set(
  'a an and are as at be but by for from has have in into is it its of on or that the their there these this to was were which with'.split(
    ' ',
  ),
);

export function textbookTokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((token) => !stopwords.has(token));
}

export interface TextbookBm25 {
  /** Document ids, best first (ties by id), at most `limit`. */
  search(query: string, limit: number): string[];
}

export function textbookBm25(
  documents: readonly { id: string; text: string }[],
  options: { k1?: number; b?: number } = {},
): TextbookBm25 {
  const k1 = options.k1 ?? 1.2;
  const b = options.b ?? 0.75;
  const postings = new Map<string, { document: number; frequency: number }[]>();
  const lengths = documents.map((document, index) => {
    const counts = new Map<string, number>();
    const tokens = textbookTokens(document.text);
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    for (const [token, frequency] of counts) {
      const list = postings.get(token) ?? [];
      list.push({ document: index, frequency });
      postings.set(token, list);
    }
    return tokens.length;
  });
  const averageLength = lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, lengths.length);
  const count = documents.length;
  return {
    search(query, limit) {
      const scores = new Map<number, number>();
      for (const token of textbookTokens(query)) {
        const list = postings.get(token);
        if (!list) continue;
        const idf = Math.log(1 + (count - list.length + 0.5) / (list.length + 0.5));
        for (const { document, frequency } of list) {
          const norm = k1 * (1 - b + (b * (lengths[document] as number)) / averageLength);
          scores.set(document, (scores.get(document) ?? 0) + (idf * frequency * (k1 + 1)) / (frequency + norm));
        }
      }
      return [...scores]
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, limit)
        .map(([document]) => (documents[document] as { id: string }).id);
    },
  };
}
