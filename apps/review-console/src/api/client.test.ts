import { describe, expect, it, vi } from 'vitest';
import { account, CSRF, createFakeService, makeItem } from '../testing/fakeService';
import { ApiClient, ApiError } from './client';

/** r1 held by the signed-in reviewer: only the holder may release it. */
const heldItems = () => [
  makeItem('r1', {
    status: 'claimed',
    claimedBy: account.displayName,
    leaseExpiresAt: new Date(Date.now() + 300_000).toISOString(),
  }),
];

describe('ApiClient', () => {
  it('sends the session CSRF token on unsafe methods and never on reads', async () => {
    const service = createFakeService();
    const api = new ApiClient({ fetch: service.fetch });
    await api.signIn('reviewer', 'correct horse');
    await api.listQueues();
    await api.claimNext();
    await api.decide('r1', { outcome: 'approved' });

    const [signIn, list, claim, decide] = service.state.calls;
    // Before sign-in there is no token to send.
    expect(signIn?.headers['x-csrf-token']).toBeUndefined();
    expect(list?.method).toBe('GET');
    expect(list?.headers['x-csrf-token']).toBeUndefined();
    expect(claim?.headers['x-csrf-token']).toBe(CSRF);
    expect(decide?.headers['x-csrf-token']).toBe(CSRF);
    expect(decide?.body).toEqual({ outcome: 'approved' });
  });

  it('takes the token from GET /v1/session after a reload', async () => {
    const service = createFakeService({ signedIn: true, items: heldItems() });
    const api = new ApiClient({ fetch: service.fetch });
    const session = await api.currentSession();
    expect(session?.account.username).toBe('reviewer');
    await api.release('r1');
    expect(service.state.calls.at(-1)?.headers['x-csrf-token']).toBe(CSRF);
  });

  it('passes on a 403 AUTH.CSRF that a fresh token does not cure (another origin)', async () => {
    const service = createFakeService({ signedIn: true });
    const api = new ApiClient({ fetch: service.fetch });
    await api.currentSession();
    service.state.foreignOrigin = true;
    const error = await api.release('r1').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(403);
    expect((error as ApiError).code).toBe('AUTH.CSRF');
    // One look for a newer token, which is the same one: no retry.
    expect(service.state.calls.slice(-2).map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /v1/reviews/r1/release',
      'GET /v1/session',
    ]);
  });

  it('picks up the new token once when another tab signed in again, and retries', async () => {
    const service = createFakeService({ signedIn: true, items: heldItems() });
    const api = new ApiClient({ fetch: service.fetch });
    await api.currentSession();
    service.state.csrfToken = 'token-of-the-new-session';
    const item = await api.release('r1');
    expect(item.status).toBe('pending');
    const calls = service.state.calls
      .slice(-3)
      .map((call) => `${call.method} ${call.path} ${call.headers['x-csrf-token'] ?? '-'}`);
    expect(calls).toEqual([
      `POST /v1/reviews/r1/release ${CSRF}`,
      'GET /v1/session -',
      'POST /v1/reviews/r1/release token-of-the-new-session',
    ]);
  });

  it('tells its listeners on any 401, but not for a wrong password at sign-in', async () => {
    const service = createFakeService();
    const api = new ApiClient({ fetch: service.fetch });
    const onUnauthorized = vi.fn();
    api.onUnauthorized(onUnauthorized);

    const wrong = await api.signIn('reviewer', 'nope').catch((failure: unknown) => failure);
    expect((wrong as ApiError).code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(onUnauthorized).not.toHaveBeenCalled();

    await api.signIn('reviewer', 'correct horse');
    service.state.signedIn = false; // the session expired on the server
    const gone = await api.listQueues().catch((failure: unknown) => failure);
    expect((gone as ApiError).status).toBe(401);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(api.hasSession).toBe(false);
  });

  it('answers null for "not signed in" and for an empty queue (204)', async () => {
    const service = createFakeService({ items: [] });
    const api = new ApiClient({ fetch: service.fetch });
    expect(await api.currentSession()).toBeNull();
    await api.signIn('reviewer', 'correct horse');
    expect(await api.claimNext()).toBeNull();
    expect(await api.claimNextInQueue('default')).toBeNull();
    expect(service.state.calls.at(-1)?.path).toBe('/v1/queues/default/claim-next');
  });

  it('keeps the stored decision of a 409 REVIEW.ALREADY_DECIDED', async () => {
    const service = createFakeService({ signedIn: true });
    const api = new ApiClient({ fetch: service.fetch });
    await api.currentSession();
    service.state.decidedElsewhere.set('r1', {
      outcome: 'rejected',
      correctedAnswer: null,
      comment: 'off topic',
      reviewer: 'Bob',
      decidedAt: '2026-12-05T11:00:00.000Z',
    });
    const error = (await api.decide('r1', { outcome: 'approved' }).catch((failure: unknown) => failure)) as ApiError;
    expect(error.status).toBe(409);
    expect(error.code).toBe('REVIEW.ALREADY_DECIDED');
    expect(error.problem.decision?.reviewer).toBe('Bob');
  });

  it('releases on page exit with keepalive and the CSRF header', async () => {
    const service = createFakeService({ signedIn: true });
    const api = new ApiClient({ fetch: service.fetch });
    await api.currentSession();
    api.releaseOnUnload('r 1/x');
    const call = service.state.calls.at(-1);
    expect(call?.path).toBe('/v1/reviews/r%201%2Fx/release');
    expect(call?.keepalive).toBe(true);
    expect(call?.headers['x-csrf-token']).toBe(CSRF);
  });

  it('reports a non-JSON error page with its status', async () => {
    const api = new ApiClient({
      fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    const error = (await api.listQueues().catch((failure: unknown) => failure)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.message).toContain('Bad Gateway');
  });
});
