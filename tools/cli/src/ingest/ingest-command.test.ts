/**
 * `keel ingest` against a real ingestion service started in this process (embedded bus, store,
 * vector index and word-vector embedder; policy scan off): a mixed folder, a second run that
 * skips what is unchanged, a changed file, and a run interrupted half-way then resumed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIngestionConfig, startIngestionService } from '@keel/ingestion';
import { composeIngestion } from '@keel/ingestion/compose';
import { createLogger, type RunningService } from '@keel/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../command-io.js';
import { main } from '../main.js';
import { documentIdFor } from './inputs.js';

let service: RunningService;
let close: () => Promise<void>;
let url: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'keel-cli-'));
  const config = loadIngestionConfig({
    HTTP_PORT: '0',
    KEEL_DATA_DIR: join(root, 'data'),
    KEEL_API_KEYS: 'cli-key=acme',
    POLICY_SCAN: 'off',
  });
  const logger = createLogger('ingestion', { level: 'silent' });
  const composed = await composeIngestion(config, logger);
  service = await startIngestionService(composed, config);
  url = service.urls.http as string;
  close = async () => {
    await service.stop();
    await composed.close();
  };
}, 60_000);

afterAll(async () => {
  await close?.();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function keel(args: string[], cwd: string, signal?: AbortSignal): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { KEEL_INGEST_URL: url, KEEL_API_KEY: 'cli-key' },
    cwd,
    ...(signal ? { signal } : {}),
  };
  return { code: await main(args, io), out, err };
}

function folder(name: string, files: Record<string, string | Uint8Array>): string {
  const directory = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(directory, path, '..'), { recursive: true });
    writeFileSync(join(directory, path), content);
  }
  return directory;
}

/** Forwards to the service, counting document submissions; job polls are slowed so jobs stay in flight. */
async function countingProxy(
  target: string,
  onPost: (posts: number) => void,
  port = 0,
): Promise<{ url: string; port: number; posts(): number; close(): Promise<void> }> {
  let posts = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST') onPost(++posts);
    else await new Promise((resolve) => setTimeout(resolve, 30));
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    posts: () => posts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function documentOf(source: string): Promise<Response> {
  return fetch(`${url}/v1/documents/${documentIdFor(source)}`, { headers: { authorization: 'Bearer cli-key' } });
}

describe('keel ingest', () => {
  it('loads a mixed folder, reports rejections with reasons, then skips what is unchanged', async () => {
    const cwd = folder('mixed', {
      'docs/handbook.md': '# Handbook\n\nThe office opens at 8am and closes at 6pm.\n',
      'docs/notes.txt': 'Expenses are reimbursed within thirty days of the receipt.',
      'docs/deep/faq.md': '# FAQ\n\n## Parking\n\nVisitors park on level two.\n',
      'docs/rows.jsonl': [
        JSON.stringify({ id: 'r1', title: 'Row one', text: 'Refunds take five working days.', team: 'support' }),
        JSON.stringify({ id: 'r2', text: '' }),
        '{not json',
      ].join('\n'),
      'docs/blob.bin': new Uint8Array([0, 159, 146, 150, 1, 2, 3, 255, 0, 17]),
    });
    const first = await keel(['ingest', 'docs', '--no-progress'], cwd);
    const summary = first.out[0] ?? '';
    expect(summary).toMatch(/4 indexed, 0 unchanged, 3 rejected, 0 failed/);
    expect(first.code).toBe(1);
    const rejections = first.out.slice(1).join('\n');
    expect(rejections).toContain('docs/rows.jsonl#2');
    expect(rejections).toContain('docs/rows.jsonl#3: row 3 is not valid JSON');
    expect(rejections).toContain('docs/blob.bin');
    expect(first.err.some((line) => /^ingest: 7\/7 \(100%\)/.test(line))).toBe(true);

    const handbook = await documentOf('docs/handbook.md');
    expect(handbook.status).toBe(200);
    expect(await handbook.json()).toMatchObject({
      title: 'handbook.md',
      source: 'docs/handbook.md',
      contentType: 'text/markdown',
    });

    const second = await keel(['ingest', 'docs', '--no-progress'], cwd);
    expect(second.out[0]).toMatch(/0 indexed, 4 unchanged, 3 rejected/);

    writeFileSync(join(cwd, 'docs/notes.txt'), 'Expenses are reimbursed within ten days of the receipt.');
    const third = await keel(['ingest', 'docs/**/*.txt', '--no-progress'], cwd);
    expect(third.out[0]).toMatch(/1 indexed, 0 unchanged, 0 rejected/);
    expect(third.code).toBe(0);
    const state = JSON.parse(readFileSync(join(cwd, '.keel/ingest-state.json'), 'utf8')) as {
      entries: Record<string, { status: string }>;
    };
    expect(state.entries['docs/notes.txt']?.status).toBe('indexed');
  }, 60_000);

  it('resumes an interrupted load without sending again what was already accepted', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 30; index++) {
      files[`estate/doc-${String(index).padStart(2, '0')}.txt`] =
        `Document ${index}: the warranty covers part ${index * 7}.`;
    }
    const cwd = folder('resume', files);
    // Interrupted (Ctrl-C) once the service has received ten documents: a proxy in front of it counts.
    const controller = new AbortController();
    const proxy = await countingProxy(url, (posts) => {
      if (posts === 10) controller.abort();
    });
    try {
      const first = await keel(
        ['ingest', 'estate', '--no-progress', '--concurrency', '4', '--url', proxy.url],
        cwd,
        controller.signal,
      );
      expect(first.code).toBe(1);
      expect(first.out[0]).toMatch(/^interrupted/);
      expect(first.out.join('\n')).toContain('run the same command again to resume');
    } finally {
      await proxy.close();
    }
    const afterFirst = JSON.parse(readFileSync(join(cwd, '.keel/ingest-state.json'), 'utf8')) as {
      entries: Record<string, { status: string }>;
    };
    // The first run's state belongs to the proxy's URL: the second run goes to the same URL.
    const handled = Object.keys(afterFirst.entries).length;
    expect(handled).toBeGreaterThanOrEqual(10);
    expect(handled).toBeLessThan(30);

    const proxyAgain = await countingProxy(url, () => {}, proxy.port);
    try {
      const second = await keel(['ingest', 'estate', '--no-progress', '--url', proxyAgain.url], cwd);
      expect(second.code).toBe(0);
      const indexedNow = Number(/(\d+) indexed/.exec(second.out[0] ?? '')?.[1]);
      const unchangedNow = Number(/(\d+) unchanged/.exec(second.out[0] ?? '')?.[1]);
      expect(indexedNow + unchangedNow).toBe(30);
      // What the first run had finished is unchanged now; accepted but unfinished inputs were
      // followed, not sent again: only the untouched ones reached the service.
      const finishedFirst = Object.values(afterFirst.entries).filter((entry) => entry.status === 'indexed').length;
      expect(unchangedNow).toBe(finishedFirst);
      expect(second.out[0]).toContain(`; ${30 - handled} sent`);
      expect(proxyAgain.posts()).toBe(30 - handled);
    } finally {
      await proxyAgain.close();
    }
    for (const index of [0, 29]) {
      expect((await documentOf(`estate/doc-${String(index).padStart(2, '0')}.txt`)).status).toBe(200);
    }
  }, 60_000);

  it('explains its usage, refuses a missing key, and names an unknown command', async () => {
    expect((await keel(['ingest', '--help'], root)).out[0]).toContain('usage: keel ingest');
    expect((await keel(['nope'], root)).code).toBe(2);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['ingest', 'docs'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
      cwd: root,
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('KEEL_API_KEY');
    expect((await keel(['ingest', 'missing-folder'], root)).err.join('\n')).toContain('no such file or folder');
  });
});
