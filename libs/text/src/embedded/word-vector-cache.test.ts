import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFilePath, readWordVectorCache, writeWordVectorCache } from './word-vector-cache.js';
import type { WordVectorTable } from './word-vector-table.js';

const table: WordVectorTable = {
  source: 'fixture@2.0.0',
  dimensions: 3,
  words: ['the', 'naïve', '日本', 'x'],
  vectors: Float32Array.from([0.1, 0.2, 0.3, -1, 0, 1, 3.5, -2.25, 0, 1e-7, 2e7, -0]),
};

describe('word vector cache', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'keel-wv-cache-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round-trips vocabulary and vectors exactly, leaving no temporary file', async () => {
    const path = cacheFilePath(directory, table.source);
    expect(path).toBe(join(directory, 'fixture_2.0.0.v1.keelwv'));
    await writeWordVectorCache(path, directory, table);
    const read = await readWordVectorCache(path, table.source);
    expect(read?.words).toEqual(table.words);
    expect(read?.dimensions).toBe(3);
    expect(Array.from(read?.vectors ?? [])).toEqual(Array.from(table.vectors));
    expect(await readdir(directory)).toEqual(['fixture_2.0.0.v1.keelwv']);
  });

  it('ignores a missing file, another source and a damaged file', async () => {
    const path = join(directory, 'other.keelwv');
    expect(await readWordVectorCache(path, table.source)).toBeUndefined();
    await writeWordVectorCache(path, directory, table);
    expect(await readWordVectorCache(path, 'fixture@3.0.0')).toBeUndefined();
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    expect(await readWordVectorCache(path, table.source)).toBeUndefined();
    await writeFile(path, Buffer.from('not a cache at all'));
    expect(await readWordVectorCache(path, table.source)).toBeUndefined();
  });
});
