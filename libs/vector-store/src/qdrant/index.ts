export { defaultBm25 } from './bm25-sparse-vector.js';
export { createQdrantVectorIndex, type QdrantVectorIndexOptions } from './qdrant-vector-index.js';
