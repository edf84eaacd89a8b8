export {
  loadWordVectorEmbedder,
  type WordVectorEmbedderOptions,
  type WordVectorLoadInfo,
  wordVectorEmbedderId,
} from './load-word-vector-embedder.js';
