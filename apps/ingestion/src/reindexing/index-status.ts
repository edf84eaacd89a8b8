/**
 * `GET /v1/index`: the state of the chunk index, platform-wide (collections, models and counts,
 * never a tenant's documents): what serves searches, what is being built and how far it got.
 */
import type { EmbedderSpec, IndexGenerationRecord } from '@keel/vector-store';

export interface IndexStatusView {
  /** The embedder this replica is configured with. */
  configured: { id: string; dimensions: number };
  active: { collection: string; embedder: { id: string; dimensions: number }; since: string };
  building: {
    collection: string;
    embedder: { id: string; dimensions: number };
    startedAt: string;
    updatedAt: string;
    progress: {
      pass: number;
      documentsTotal: number;
      documentsScanned: number;
      chunksReindexed: number;
      documentsSkipped: number;
    };
  } | null;
  retired: { collection: string; embedder: { id: string; dimensions: number }; dropAfter: string } | null;
  /** Generations this replica cannot embed for, so its writes miss them (it runs an older configuration). */
  unreachable: string[];
}

function embedderView(spec: EmbedderSpec): { id: string; dimensions: number } {
  return { id: spec.id, dimensions: spec.dimensions };
}

const iso = (time: number) => new Date(time).toISOString();

export function indexStatusView(
  record: IndexGenerationRecord,
  configured: EmbedderSpec,
  unreachable: string[],
): IndexStatusView {
  const { active, building, retired } = record;
  return {
    configured: embedderView(configured),
    active: { collection: active.collection, embedder: embedderView(active.embedder), since: iso(active.since) },
    building: building
      ? {
          collection: building.collection,
          embedder: embedderView(building.embedder),
          startedAt: iso(building.startedAt),
          updatedAt: iso(building.updatedAt),
          progress: {
            pass: building.progress.pass,
            documentsTotal: building.progress.documentsTotal,
            documentsScanned: building.progress.documentsScanned,
            chunksReindexed: building.progress.chunksReindexed,
            documentsSkipped: building.progress.documentsSkipped,
          },
        }
      : null,
    retired: retired
      ? { collection: retired.collection, embedder: embedderView(retired.embedder), dropAfter: iso(retired.dropAfter) }
      : null,
    unreachable,
  };
}
