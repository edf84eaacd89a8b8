export {
  type BuildProgress,
  CHUNK_INDEX_GENERATION_ID,
  chunkCollectionName,
  chunkMetadataKey,
  chunkMetadataNumberKey,
  type EmbedderIdentity,
  type EmbedderSpec,
  INDEX_GENERATIONS_COLLECTION,
  type IndexBuild,
  type IndexGeneration,
  type IndexGenerationRecord,
  legacyChunkCollectionName,
  metadataNumberOf,
  OPEN_TO_TENANT,
} from './chunk-layout.js';
export { equalWeightFusion, fuseHybrid, hybridCandidateCount } from './hybrid-fusion.js';
export { conditionMatches, filterMatches } from './payload-filter.js';
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
  PayloadRange,
  PayloadValue,
  SearchMode,
  VectorFilter,
  VectorHit,
  VectorIndex,
  VectorQuery,
} from './vector-index.js';
export { VectorStoreError, VectorStoreErrorCode } from './vector-store-error.js';
