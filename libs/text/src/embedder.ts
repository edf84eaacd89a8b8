/** The Embedder port: text in, one dense vector per input out. */
export interface Embedder {
  /** A stable id of the model and its settings, recorded in every chunk's lineage. */
  readonly id: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}
