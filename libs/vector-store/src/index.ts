export { fuseHybrid, hybridCandidateCount } from './hybrid-fusion.js';
export { defaultRrfK, type FusedRank, reciprocalRankFusion } from './reciprocal-rank-fusion.js';
export { maxSearchLimit } from './request-validation.js';
export type {
  CollectionSpec,
  IndexedChunk,
  PayloadCondition,
  PayloadValue,
  SearchMode,
  VectorFilter,
  VectorHit,
  VectorIndex,
  VectorQuery,
} from './vector-index.js';
export { VectorStoreError, VectorStoreErrorCode } from './vector-store-error.js';
