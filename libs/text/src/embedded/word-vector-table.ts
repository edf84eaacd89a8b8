/** Pretrained word vectors in memory: one Float32Array row per word, rows in frequency order. */
export interface WordVectorTable {
  /** Name and version of the package the vectors came from. */
  source: string;
  dimensions: number;
  /** `words[i]` owns row `i`; the source ranks words by corpus frequency, most frequent first. */
  words: string[];
  vectors: Float32Array;
}
