import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedDocumentStore } from './embedded-document-store.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('WAL checkpoints off the event loop', () => {
  it('moves committed pages into the database file from the worker, well below the writer threshold', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-wal-'));
    directories.push(directory);
    const path = join(directory, 'store.db');
    const store = createEmbeddedDocumentStore({ path });
    const items = await store.collection<{ id: string; text: string }>('items');
    const sizeBefore = statSync(path).size;
    // About 200 pages: far below the writer's own automatic checkpoint (10,000 pages), so only the
    // worker can have copied them into the file.
    for (let index = 0; index < 200; index++) await items.insert({ id: `i${index}`, text: 'x'.repeat(3_000) });
    const deadline = Date.now() + 5_000;
    while (statSync(path).size < sizeBefore + 400_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statSync(path).size).toBeGreaterThan(sizeBefore + 400_000);
    expect((await items.get('i199'))?.text).toHaveLength(3_000);
    await store.close();
    // Reopened, everything is there (the worker's checkpoints lost nothing).
    const reopened = createEmbeddedDocumentStore({ path });
    expect(await (await reopened.collection('items')).count()).toBe(200);
    await reopened.close();
  });
});
