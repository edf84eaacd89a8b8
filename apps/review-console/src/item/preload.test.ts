import { describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client';
import { createFakeService, makeItem } from '../testing/fakeService';
import { PRELOAD_FRESH_MS, preloadItem, takePreloaded } from './preload';

function setup(signedIn = true) {
  const service = createFakeService({ signedIn });
  const api = new ApiClient({ fetch: service.fetch });
  const reads = () => service.state.calls.map((call) => `${call.method} ${call.path}`);
  return { service, api, reads };
}

describe('preloading an item opened by its URL', () => {
  it('starts the three reads at once and hands them over once', async () => {
    const { api, reads } = setup();
    preloadItem(api, '/items/r1', 1_000);
    expect(reads()).toEqual(['GET /v1/reviews/r1', 'GET /v1/reviews/r1/context', 'GET /v1/reviews/r1/comments']);
    const taken = takePreloaded(api, 'r1', 1_500);
    expect((await taken?.item)?.id).toBe('r1');
    expect((await taken?.context)?.policyVersion).toBe('p-7');
    expect((await taken?.comments)?.items).toEqual([]);
    expect(reads()).toHaveLength(3);
    expect(takePreloaded(api, 'r1', 1_600)).toBeNull();
  });

  it('ignores other paths, another item, and reads that are no longer fresh', () => {
    const { api, reads } = setup();
    preloadItem(api, '/', 0);
    preloadItem(api, '/lead/audit', 0);
    expect(reads()).toEqual([]);
    preloadItem(api, '/items/r1', 0);
    expect(takePreloaded(api, 'r2', 1)).toBeNull();
    // Taking (even for another id) drops them: a later page never gets old reads.
    expect(takePreloaded(api, 'r1', 2)).toBeNull();
    preloadItem(api, '/items/r1', 0);
    expect(takePreloaded(api, 'r1', PRELOAD_FRESH_MS)).toBeNull();
  });

  it('asks again for a read that failed before the session existed', async () => {
    const { service, api, reads } = setup(false);
    preloadItem(api, '/items/r%201', 0);
    service.state.signedIn = true;
    service.state.items.set('r 1', makeItem('r 1'));
    const taken = takePreloaded(api, 'r 1', 10);
    expect((await taken?.item)?.id).toBe('r 1');
    expect(reads().filter((read) => read === 'GET /v1/reviews/r%201')).toHaveLength(2);
  });
});
