export { chunkCollectionName, chunkMetadataKey, OPEN_TO_TENANT } from './chunk-layout.js';
export { equalWeightFusion, fuseHybrid, hybridCandidateCount } from './hybrid-fusion.js';
export {
  defaultRrfK,
  type FusedRank,
  type RankFusionOptions,
  reciprocalRankFusion,
} from './reciprocal-rank-fusion.js';
export { maxSearchLimit } from './request-validation.js';
export type {
  CollectionSpec,
  HybridFusion,
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
