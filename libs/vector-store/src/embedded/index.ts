export { createEmbeddedVectorIndex, type EmbeddedVectorIndexOptions } from './embedded-vector-index.js';
