/**
 * An in-memory human-review that answers the console contract (/tmp console-api: paths, bodies,
 * codes): session cookie semantics (401 without a session, 403 AUTH.CSRF without the token on an
 * unsafe method), claim-next 200/204, leases, decisions with 409 REVIEW.ALREADY_DECIDED, skip,
 * comments, context. Component tests hand its `fetch` to the ApiClient.
 */
import type { Account, Decision, ItemContext, Queue, ReviewComment, ReviewItem } from '../api/types';

export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  keepalive: boolean;
  at: number;
}

export const CSRF = 'csrf-token-123';

export const account: Account = {
  id: 'acc-1',
  tenantId: 'demo',
  username: 'reviewer',
  displayName: 'Rita Reviewer',
  roles: ['reviewer'],
  groups: [],
  disabled: false,
  createdAt: '2026-12-01T00:00:00.000Z',
  lastSignInAt: null,
};

export const queue: Queue = {
  id: 'default',
  tenantId: 'demo',
  name: 'Default',
  description: 'Everything else',
  match: {},
  order: 100,
  basePriority: 50,
  slaMinutes: 60,
  reviewersPerItem: 1,
  rubric: {
    scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }],
    categories: [{ key: 'issue', label: 'Issue type', options: ['none', 'hallucination', 'tone'] }],
    notes: true,
  },
  counts: { pending: 2, claimed: 0, breached: 1, decidedToday: 3 },
};

export function makeItem(id: string, overrides: Partial<ReviewItem> = {}): ReviewItem {
  return {
    id,
    requestId: `req-${id}`,
    traceId: `trace-${id}`,
    reason: 'LOW_SCORE',
    detail: 'groundedness 0.41 below 0.6',
    question: 'How long is the refund window?',
    answer: 'Refunds are accepted within 30 days [1]. Opened items get store credit [2].',
    citations: [
      {
        documentId: 'doc-refunds',
        chunkId: 'c1',
        title: 'Refund policy',
        quote: 'within 30 days of purchase',
        marker: 1,
      },
      { documentId: 'doc-credit', chunkId: 'c2', title: 'Store credit', quote: 'store credit', marker: 2 },
    ],
    contexts: [
      {
        chunkId: 'c1',
        documentId: 'doc-refunds',
        text: 'Customers may return items within 30 days of purchase for a full refund.',
      },
      { chunkId: 'c2', documentId: 'doc-credit', text: 'Opened items are exchanged for store credit only.' },
    ],
    score: 0.41,
    requestedBy: 'evaluation',
    requestedAt: '2026-12-05T10:00:00.000Z',
    status: 'pending',
    claimedBy: null,
    leaseExpiresAt: null,
    decision: null,
    decisions: [],
    queueId: 'default',
    priority: 50,
    dueAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    slaBreached: false,
    reviewersRequired: 1,
    createdAt: '2026-12-05T10:00:00.000Z',
    updatedAt: '2026-12-05T10:00:00.000Z',
    ...overrides,
  };
}

export const itemContext: ItemContext = {
  scores: [{ name: 'groundedness', value: 0.41, threshold: 0.6 }],
  verdicts: [{ claim: 'Refunds are accepted within 30 days', supported: true, citedChunkIds: ['c1'] }],
  findings: [
    { stage: 'output', type: 'PROMISE', start: 0, end: 7, action: 'escalate', rule: 'no-promises' },
    // What keel.policy.decided.v1 gives today: the type without a span.
    { stage: 'input', type: 'EMAIL', start: null, end: null, action: 'redact' },
  ],
  decisions: [
    {
      decisionId: 'd1',
      stage: 'output',
      decision: 'ESCALATE',
      reason: 'a promise to the customer',
      policyVersion: 'p-7',
      rulesFired: ['no-promises'],
      findingTypes: ['PROMISE'],
      findingCount: 1,
      decidedBy: 'policy',
      decidedAt: '2026-12-05T10:00:00.000Z',
    },
  ],
  policyVersion: 'p-7',
  lineageUrl: '/v1/reviews/r1/lineage',
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
  });

const problem = (status: number, code: string, title: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: 'about:blank', title, status, detail: title, code, ...extra });

export interface FakeServiceOptions {
  signedIn?: boolean;
  items?: ReviewItem[];
  password?: string;
  leaseSeconds?: number;
  /** The signed-in account's roles (default: reviewer only). */
  roles?: Account['roles'];
}

export function createFakeService(options: FakeServiceOptions = {}) {
  const state = {
    signedIn: options.signedIn ?? false,
    items: new Map((options.items ?? [makeItem('r1'), makeItem('r2')]).map((item) => [item.id, item])),
    comments: new Map<string, ReviewComment[]>(),
    /** Set to make the next decision on an item lose to someone else's. */
    decidedElsewhere: new Map<string, Decision>(),
    /** The session's token: a new sign-in elsewhere changes it. */
    csrfToken: CSRF,
    /** Requests that come from another origin: every unsafe one is refused, whatever its token. */
    foreignOrigin: false,
    calls: [] as RecordedCall[],
  };
  const leaseSeconds = options.leaseSeconds ?? 300;
  const me: Account = options.roles ? { ...account, roles: options.roles } : account;

  const claimed = (item: ReviewItem): ReviewItem => ({
    ...item,
    status: 'claimed',
    claimedBy: account.displayName,
    leaseExpiresAt: new Date(Date.now() + leaseSeconds * 1000).toISOString(),
  });

  function route(method: string, path: string, headers: Record<string, string>, body: unknown): Response {
    if (path === '/v1/session' && method === 'POST') {
      const { username, password } = (body ?? {}) as { username?: string; password?: string };
      if (username !== 'reviewer' || password !== (options.password ?? 'correct horse')) {
        return problem(401, 'AUTH.INVALID_CREDENTIALS', 'wrong username or password');
      }
      state.signedIn = true;
      state.csrfToken = CSRF;
      return json(200, { account: me, csrfToken: CSRF, expiresAt: '2026-12-06T00:00:00.000Z' });
    }
    if (!state.signedIn) return problem(401, 'AUTH.MISSING_API_KEY', 'sign in');
    const unsafe = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
    if (unsafe && (headers['x-csrf-token'] !== state.csrfToken || state.foreignOrigin)) {
      return problem(403, 'AUTH.CSRF', 'missing or wrong CSRF token');
    }
    if (path === '/v1/session') {
      if (method === 'GET')
        return json(200, { account: me, csrfToken: state.csrfToken, expiresAt: '2026-12-06T00:00:00.000Z' });
      state.signedIn = false;
      return new Response(null, { status: 204 });
    }
    if (path === '/v1/queues') return json(200, { items: [queue] });
    if (path === '/v1/queues/default') return json(200, queue);
    if (path === '/v1/me/progress') {
      return json(200, {
        decidedToday: 3,
        decidedThisWeek: 11,
        claimed: [],
        queues: [{ queueId: 'default', pending: 2, breached: 1 }],
      });
    }
    if (path === '/v1/reviews:claim-next' || path === '/v1/queues/default/claim-next') {
      const next = [...state.items.values()].find((item) => item.status === 'pending');
      if (!next) return new Response(null, { status: 204 });
      const taken = claimed(next);
      state.items.set(next.id, taken);
      return json(200, taken);
    }
    const match = /^\/v1\/reviews\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const item = match ? state.items.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (!match || !item) return problem(404, 'REVIEW.NOT_FOUND', 'not found');
    const action = match[2];
    if (!action && method === 'GET') return json(200, item);
    if (action === 'context') return json(200, itemContext);
    if (action === 'lineage') return json(200, { requestId: item.requestId, model: 'demo-model' });
    if (action === 'comments' && method === 'GET') return json(200, { items: state.comments.get(item.id) ?? [] });
    if (action === 'comments') {
      const comment = {
        id: `c${Date.now()}`,
        author: account.displayName,
        text: (body as { text: string }).text,
        createdAt: new Date().toISOString(),
      };
      state.comments.set(item.id, [...(state.comments.get(item.id) ?? []), comment]);
      return json(201, comment);
    }
    // As human-review: a live lease of another reviewer refuses a claim (ALREADY_CLAIMED) and a skip,
    // and only the holder may release (LEASE_NOT_HELD).
    const heldByOther =
      item.status === 'claimed' &&
      item.claimedBy !== account.displayName &&
      Date.parse(item.leaseExpiresAt ?? '') > Date.now();
    if (action === 'claim') {
      if (item.status === 'decided') return problem(409, 'REVIEW.ALREADY_DECIDED', 'decided');
      if (heldByOther) {
        return problem(409, 'REVIEW.ALREADY_CLAIMED', `review ${item.id} is claimed by ${item.claimedBy}`);
      }
      const taken = claimed(item);
      state.items.set(item.id, taken);
      return json(200, taken);
    }
    if (action === 'release' || action === 'skip') {
      const mine = item.status === 'claimed' && item.claimedBy === account.displayName;
      if (action === 'release' ? !mine : heldByOther) {
        return problem(409, 'REVIEW.LEASE_NOT_HELD', `review ${item.id} is not claimed by you`);
      }
      const released = { ...item, status: 'pending' as const, claimedBy: null, leaseExpiresAt: null };
      state.items.set(item.id, released);
      return json(200, released);
    }
    if (action === 'decision') {
      const elsewhere = state.decidedElsewhere.get(item.id);
      if (elsewhere) {
        return problem(409, 'REVIEW.ALREADY_DECIDED', `review ${item.id} is already decided`, { decision: elsewhere });
      }
      if (item.status !== 'claimed' || item.claimedBy !== account.displayName) {
        return problem(409, 'REVIEW.LEASE_NOT_HELD', `review ${item.id} is not claimed by you`);
      }
      const input = body as { outcome: Decision['outcome']; correctedAnswer?: string; comment?: string };
      const decision: Decision = {
        outcome: input.outcome,
        correctedAnswer: input.correctedAnswer ?? null,
        comment: input.comment ?? null,
        reviewer: account.displayName,
        decidedAt: new Date().toISOString(),
      };
      const decided = { ...item, status: 'decided' as const, decision, decisions: [decision] };
      state.items.set(item.id, decided);
      return json(200, decided);
    }
    return problem(405, 'HTTP.METHOD_NOT_ALLOWED', 'method not allowed');
  }

  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://console.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([key, value]) => [key.toLowerCase(), value]),
    );
    const body = typeof init.body === 'string' && init.body ? JSON.parse(init.body) : undefined;
    state.calls.push({ method, path: url.pathname, headers, body, keepalive: init.keepalive === true, at: Date.now() });
    return route(method, url.pathname, headers, body);
  };

  return { fetch: fetch as typeof globalThis.fetch, state };
}
