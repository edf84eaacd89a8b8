/**
 * The layout of Keel's chunk index: the contract between its writer (ingestion) and its reader
 * (retrieval), kept in one place so the two cannot drift apart. One collection per embedder
 * (model and width: vectors of different models never mix, even at the same width), a flat
 * payload with `meta.<key>` for each document metadata entry, and `*` in `aclGroups` for chunks
 * the whole tenant may read. Which collection serves is the index generation record below.
 */

/** The ACL group of a chunk open to every caller of its tenant. */
export const OPEN_TO_TENANT = '*';

/** What names an embedder's vectors: its stable id (model and settings) and its width. */
export interface EmbedderIdentity {
  id: string;
  dimensions: number;
}

/** Room for the model part of a name; collection names stay well under every backend's limit. */
const MAX_SLUG_LENGTH = 48;

/**
 * `keel_chunks_<model-slug>_<dimensions>`: the slug keeps letters and digits of the embedder id
 * (lower case, runs of anything else become `_`), and a short hash of the whole id is appended
 * when the slug is not the id itself, so two ids that slug alike never share a collection.
 */
export function chunkCollectionName(embedder: EmbedderIdentity): string {
  const slug = embedder.id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_SLUG_LENGTH);
  const exact = slug === embedder.id;
  return `keel_chunks_${slug || 'model'}${exact ? '' : `_${shortHash(embedder.id)}`}_${embedder.dimensions}`;
}

/** The collection of the releases that named collections by width alone; adopted once, never created. */
export function legacyChunkCollectionName(dimensions: number): string {
  return `keel_chunks_${dimensions}`;
}

/** FNV-1a, 32 bits, base 36: stable across runtimes, enough to tell apart ids that slug alike. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/** The payload key of a document metadata entry. */
export function chunkMetadataKey(key: string): string {
  return `meta.${key}`;
}

/** The payload key of the numeric twin of a metadata entry that reads as a number (for range filters). */
export function chunkMetadataNumberKey(key: string): string {
  return `metaNum.${key}`;
}

/** A plain decimal number, as a person writes one in metadata: `2024`, `-3.5`, `.5`, `1e3`. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The number a metadata value reads as, or undefined when it is not a finite decimal number. */
export function metadataNumberOf(value: string): number | undefined {
  const text = value.trim();
  if (!DECIMAL.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * The embedder a generation was built with, as much as a reader needs to build it again: the
 * remote endpoint's address and model (never its key), or none for the embedded default.
 */
export interface EmbedderSpec extends EmbedderIdentity {
  endpoint?: { baseUrl: string; model: string } | null;
}

export interface IndexGeneration {
  collection: string;
  embedder: EmbedderSpec;
}

export interface BuildProgress {
  /** Documents with a current version when the pass began, and how many of them were read. */
  documentsTotal: number;
  documentsScanned: number;
  /** Chunks embedded into the new collection (by the re-index; new writes go there directly). */
  chunksReindexed: number;
  /** Current documents whose chunks could not be re-embedded (no stored chunk text): submit them again. */
  documentsSkipped: number;
  /** 1 for the first pass over every document; later passes catch what changed meanwhile. */
  pass: number;
  /** Chunks re-embedded and documents found changing in this pass: a pass with none ends the build. */
  passChanges?: number;
  /** The document-store cursor of the next page, absent at the start of a pass. */
  cursor?: string | null;
}

export interface IndexBuild extends IndexGeneration {
  startedAt: number;
  updatedAt: number;
  progress: BuildProgress;
  /** The replica running the build and until when its claim holds; another takes over after. */
  lease?: { owner: string; until: number } | null;
}

/**
 * The one record (per deployment, not per tenant) that says which collection serves searches,
 * and which one is being built. Written by ingestion with conditional updates on `revision`;
 * read by retrieval. Collection `keel_index_generations` of ingestion's document store, id `chunks`.
 */
export interface IndexGenerationRecord {
  id: string;
  revision: number;
  active: IndexGeneration & { since: number };
  building?: IndexBuild | null;
  /** The generation `active` replaced: dropped once `dropAfter` has passed (readers still on it drain). */
  retired?: (IndexGeneration & { dropAfter: number }) | null;
  updatedAt: number;
}

export const INDEX_GENERATIONS_COLLECTION = 'keel_index_generations';
export const CHUNK_INDEX_GENERATION_ID = 'chunks';
