import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash, watchFile } from './routing-file-watcher.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'keel-watch-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('watchFile', () => {
  it('applies a content only once it stopped changing, and each distinct content once', async () => {
    const path = join(directory, 'file.yaml');
    await writeFile(path, 'a: 1\n');
    const applied: string[] = [];
    const watcher = watchFile({
      path,
      initialHash: contentHash('a: 1\n'),
      onChange: async (text) => {
        applied.push(text);
      },
      onError: () => {},
      debounceMs: 200,
      pollMs: 60_000,
    });
    try {
      // Written in place in two steps (a shell redirection, a slow writer): the first read sees half.
      await writeFile(path, 'b:');
      const check = watcher.check();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await writeFile(path, 'b: 2\n');
      await check;
      await watcher.check();
      expect(applied).toEqual(['b: 2\n']);
      await watcher.check();
      expect(applied).toEqual(['b: 2\n']);
    } finally {
      watcher.close();
    }
  });

  it('reports a file it cannot read, and goes on', async () => {
    const errors: unknown[] = [];
    const watcher = watchFile({
      path: join(directory, 'missing.yaml'),
      initialHash: '',
      onChange: async () => {},
      onError: (error) => errors.push(error),
      pollMs: 60_000,
    });
    await watcher.check();
    watcher.close();
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
