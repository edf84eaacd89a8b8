/** `keel.retrieval.v1.Retrieval`: translates the proto request, delegates, returns the proto response. */

import type * as grpc from '@grpc/grpc-js';
import {
  type MetadataCondition as MetadataConditionProto,
  type NumberRange as NumberRangeProto,
  RetrievalService,
  SearchMode as SearchModeProto,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { type Logger, unaryHandler } from '@keel/platform';
import type { SearchMode } from '@keel/vector-store';
import type { ChunkSearch } from '../search/chunk-search.js';
import type { NumberRange } from '../search/metadata-conditions.js';
import { type ConditionInput, toSearchQuery } from '../search/search-query.js';

const MODES: ReadonlyMap<SearchModeProto, SearchMode> = new Map([
  [SearchModeProto.SEARCH_MODE_UNSPECIFIED, 'hybrid'],
  [SearchModeProto.SEARCH_MODE_HYBRID, 'hybrid'],
  [SearchModeProto.SEARCH_MODE_DENSE, 'dense'],
  [SearchModeProto.SEARCH_MODE_KEYWORD, 'keyword'],
]);

function rangeOf(range: NumberRangeProto): NumberRange {
  const bounds: NumberRange = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range[bound];
    if (value !== undefined && value !== null) bounds[bound] = value;
  }
  return bounds;
}

/** A condition without its oneof set keeps only its key: validation names it. */
function conditionOf(condition: MetadataConditionProto): ConditionInput {
  const { key } = condition;
  switch (condition.condition?.$case) {
    case 'equals':
      return { key, equals: condition.condition.value };
    case 'anyOf':
      return { key, anyOf: [...condition.condition.value.values] };
    case 'range':
      return { key, range: rangeOf(condition.condition.value) };
    case 'exists':
      return { key, exists: condition.condition.value };
    default:
      return { key };
  }
}

export function retrievalGrpcService(
  logger: Logger,
  search: ChunkSearch,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  return {
    definition: RetrievalService,
    implementation: {
      search: unaryHandler<SearchRequest, SearchResponse>(logger, async (request, call) => {
        const query = toSearchQuery({
          tenantId: request.tenantId,
          transportTenantId: call.tenantId,
          query: request.query,
          topK: request.topK,
          aclGroups: request.aclGroups,
          mode: MODES.get(request.mode),
          filters: request.filters,
          conditions: (request.metadataFilter?.must ?? []).map(conditionOf),
          ...(request.mmr
            ? {
                mmr: {
                  ...(request.mmr.lambda !== undefined && request.mmr.lambda !== null
                    ? { lambda: request.mmr.lambda }
                    : {}),
                  candidates: request.mmr.candidates ?? 0,
                },
              }
            : {}),
          ...(request.rerank !== undefined && request.rerank !== null ? { rerank: request.rerank } : {}),
          rerankCandidates: request.rerankCandidates ?? 0,
        });
        return search.search(query);
      }),
    },
  };
}
