/** `keel.retrieval.v1.Retrieval`: translates the proto request, delegates, returns the proto response. */

import type * as grpc from '@grpc/grpc-js';
import {
  RetrievalService,
  SearchMode as SearchModeProto,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { type Logger, unaryHandler } from '@keel/platform';
import type { SearchMode } from '@keel/vector-store';
import type { ChunkSearch } from '../search/chunk-search.js';
import { toSearchQuery } from '../search/search-query.js';

const MODES: ReadonlyMap<SearchModeProto, SearchMode> = new Map([
  [SearchModeProto.SEARCH_MODE_UNSPECIFIED, 'hybrid'],
  [SearchModeProto.SEARCH_MODE_HYBRID, 'hybrid'],
  [SearchModeProto.SEARCH_MODE_DENSE, 'dense'],
  [SearchModeProto.SEARCH_MODE_KEYWORD, 'keyword'],
]);

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
        });
        return search.search(query);
      }),
    },
  };
}
