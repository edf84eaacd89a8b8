/**
 * A 202 is a promise: documents accepted just before `npm start` is stopped are indexed after
 * it starts again on the same data directory (the embedded bus keeps its log on disk; ingestion
 * resumes what it had accepted), and no job stays `queued` forever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@keel/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, type LocalPlatform, startLocalPlatform } from './local-platform.js';

const apiKey = 'restart-test-key-0123456789';
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
const finalStatuses = new Set(['indexed', 'rejected', 'failed']);

describe('stop and restart with work in flight (embedded defaults)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-restart-'));
  let platform: LocalPlatform | undefined;
  const start = () =>
    startLocalPlatform({
      dataDir,
      ports: freePorts,
      env: { KEEL_DEMO_API_KEY: apiKey },
      logger: createLogger('restart-test', { level: 'silent' }),
    });

  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes every job accepted before a graceful stop, after the restart', async () => {
    platform = await start();
    const ingestion = platform.urls.ingestion ?? '';
    const accepted = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const response = await fetch(`${ingestion}/v1/documents`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            documentId: `restart-${index}`,
            title: `Note ${index}`,
            text: `Restart note ${index}: the depot on pier ${index} opens at ${6 + (index % 4)} am.`,
          }),
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { jobId: string }).jobId;
      }),
    );
    await platform.stop();
    platform = undefined;

    platform = await start();
    const restarted = platform.urls.ingestion ?? '';
    const statuses = new Map<string, string>();
    await expect
      .poll(
        async () => {
          for (const jobId of accepted) {
            const response = await fetch(`${restarted}/v1/jobs/${jobId}`, { headers });
            statuses.set(jobId, ((await response.json()) as { status: string }).status);
          }
          return [...statuses.values()].filter((status) => !finalStatuses.has(status)).length;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(0);
    expect([...statuses.values()].every((status) => status === 'indexed')).toBe(true);
  }, 120_000);
});
