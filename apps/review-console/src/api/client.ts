/**
 * The one client of human-review's API. The console is served from the same origin, so the session
 * cookie travels by itself; what the client adds is the session's CSRF token on every unsafe method
 * (the service refuses such a request without it) and one place that notices a 401: whatever call
 * finds the session gone, the app goes back to sign-in.
 */
import type {
  Account,
  AccountChanges,
  Agreement,
  AuditEntry,
  AuditFilter,
  BulkRequest,
  BulkResult,
  DecisionInput,
  ItemContext,
  Lineage,
  NewAccount,
  Page,
  Problem,
  Progress,
  Queue,
  QueueInput,
  ReviewComment,
  ReviewFilter,
  ReviewItem,
  Session,
} from './types';

export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A non-2xx answer: the status and the problem+json body (or one made up when the body was not JSON). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(
      problem.title
        ? `${problem.title}${typeof problem.detail === 'string' ? `: ${problem.detail}` : ''}`
        : `HTTP ${problem.status}`,
    );
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

export interface ApiClientOptions {
  /** Injected so tests can answer like the service; defaults to the window's fetch. */
  fetch?: typeof fetch;
  /** Prefix of every path: '' when served by human-review (same origin). */
  baseUrl?: string;
}

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Sign-in's own 401 means "wrong credentials", not "session gone". */
  expectUnauthorized?: boolean;
  /** Set on the one retry after a refreshed CSRF token. */
  retried?: boolean;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const segment = (value: string) => encodeURIComponent(value);

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      const body = JSON.parse(text) as Partial<Problem>;
      if (body && typeof body === 'object') return { ...body, status: response.status } as Problem;
    } catch {
      // Not JSON (a proxy's error page): fall through to a problem that says what happened.
    }
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}` };
}

export class ApiClient {
  private csrfToken: string | null = null;
  private readonly unauthorizedListeners = new Set<() => void>();
  private readonly fetchImpl: typeof fetch;
  private readonly baseUrl: string;

  constructor(options: ApiClientOptions = {}) {
    // Bound: calling the window's fetch as a method of another object throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.baseUrl = options.baseUrl ?? '';
  }

  /** Called whenever an answer is 401: the session expired or was ended elsewhere. */
  onUnauthorized(listener: () => void): () => void {
    this.unauthorizedListeners.add(listener);
    return () => this.unauthorizedListeners.delete(listener);
  }

  get hasSession(): boolean {
    return this.csrfToken !== null;
  }

  private headers(method: string, hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    if (UNSAFE_METHODS.has(method) && this.csrfToken) headers[CSRF_HEADER] = this.csrfToken;
    return headers;
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const hasBody = options.body !== undefined;
    const response = await this.fetchImpl(`${this.baseUrl}${path}${queryString(options.query)}`, {
      method,
      credentials: 'same-origin',
      headers: this.headers(method, hasBody),
      ...(hasBody ? { body: JSON.stringify(options.body) } : {}),
    });
    if (response.status === 401 && !options.expectUnauthorized) {
      this.csrfToken = null;
      for (const listener of [...this.unauthorizedListeners]) listener();
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      // Another tab signed out and in again: this tab's token is the old session's. Fetch the
      // current one and try once more; a token refused again is a real refusal.
      if (
        problem.code === 'AUTH.CSRF' &&
        UNSAFE_METHODS.has(method) &&
        !options.retried &&
        (await this.refreshToken())
      ) {
        return this.request<T>(method, path, { ...options, retried: true });
      }
      throw new ApiError(problem);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** True when GET /v1/session gave a token other than the one just refused. */
  private async refreshToken(): Promise<boolean> {
    const refused = this.csrfToken;
    const session = await this.currentSession().catch(() => null);
    return session !== null && session.csrfToken !== refused;
  }

  // --- session ---

  async signIn(username: string, password: string): Promise<Session> {
    const session = await this.request<Session>('POST', '/v1/session', {
      body: { username, password },
      expectUnauthorized: true,
    });
    this.csrfToken = session.csrfToken;
    return session;
  }

  /** The current session, or null when there is none (a 401 here is the normal "not signed in"). */
  async currentSession(): Promise<Session | null> {
    try {
      const session = await this.request<Session>('GET', '/v1/session', { expectUnauthorized: true });
      this.csrfToken = session.csrfToken;
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.csrfToken = null;
        return null;
      }
      throw error;
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.request<void>('DELETE', '/v1/session', { expectUnauthorized: true });
    } finally {
      this.csrfToken = null;
    }
  }

  // --- accounts (admin) ---

  listAccounts(): Promise<Page<Account>> {
    return this.request('GET', '/v1/accounts');
  }

  createAccount(account: NewAccount): Promise<Account> {
    return this.request('POST', '/v1/accounts', { body: account });
  }

  updateAccount(id: string, changes: AccountChanges): Promise<Account> {
    return this.request('PATCH', `/v1/accounts/${segment(id)}`, { body: changes });
  }

  deleteAccount(id: string): Promise<void> {
    return this.request('DELETE', `/v1/accounts/${segment(id)}`);
  }

  // --- queues ---

  listQueues(): Promise<Page<Queue>> {
    return this.request('GET', '/v1/queues');
  }

  getQueue(id: string): Promise<Queue> {
    return this.request('GET', `/v1/queues/${segment(id)}`);
  }

  createQueue(queue: QueueInput): Promise<Queue> {
    return this.request('POST', '/v1/queues', { body: queue });
  }

  updateQueue(id: string, queue: QueueInput): Promise<Queue> {
    return this.request('PUT', `/v1/queues/${segment(id)}`, { body: queue });
  }

  deleteQueue(id: string): Promise<void> {
    return this.request('DELETE', `/v1/queues/${segment(id)}`);
  }

  /** The next due item of one queue, claimed; null when nothing is due (204). */
  async claimNextInQueue(queueId: string, leaseSeconds?: number): Promise<ReviewItem | null> {
    const item = await this.request<ReviewItem | undefined>('POST', `/v1/queues/${segment(queueId)}/claim-next`, {
      body: leaseSeconds === undefined ? {} : { leaseSeconds },
    });
    return item ?? null;
  }

  /** The next due item across the caller's queues (or one of them), claimed; null when nothing is due. */
  async claimNext(queueId?: string): Promise<ReviewItem | null> {
    const item = await this.request<ReviewItem | undefined>('POST', '/v1/reviews:claim-next', {
      body: queueId === undefined ? {} : { queueId },
    });
    return item ?? null;
  }

  agreement(queueId: string): Promise<Agreement> {
    return this.request('GET', `/v1/queues/${segment(queueId)}/agreement`);
  }

  // --- reviews ---

  listReviews(filter: ReviewFilter = {}): Promise<Page<ReviewItem>> {
    return this.request('GET', '/v1/reviews', { query: { ...filter } });
  }

  getReview(id: string): Promise<ReviewItem> {
    return this.request('GET', `/v1/reviews/${segment(id)}`);
  }

  /** Claims the item, or renews the lease when the caller already holds it. */
  claim(id: string, leaseSeconds?: number): Promise<ReviewItem> {
    return this.request('POST', `/v1/reviews/${segment(id)}/claim`, {
      body: leaseSeconds === undefined ? {} : { leaseSeconds },
    });
  }

  release(id: string): Promise<ReviewItem> {
    return this.request('POST', `/v1/reviews/${segment(id)}/release`, { body: {} });
  }

  /**
   * Releases while the page goes away: a keepalive request outlives the document, and carries the
   * CSRF header like any other unsafe call (a beacon could not).
   */
  releaseOnUnload(id: string): void {
    void this.fetchImpl(`${this.baseUrl}/v1/reviews/${segment(id)}/release`, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: this.headers('POST', true),
      body: '{}',
    }).catch(() => {
      // The page is gone; the lease lapses on its own.
    });
  }

  decide(id: string, decision: DecisionInput): Promise<ReviewItem> {
    return this.request('POST', `/v1/reviews/${segment(id)}/decision`, { body: decision });
  }

  skip(id: string, reason: string): Promise<ReviewItem> {
    return this.request('POST', `/v1/reviews/${segment(id)}/skip`, { body: { reason } });
  }

  listComments(id: string): Promise<Page<ReviewComment>> {
    return this.request('GET', `/v1/reviews/${segment(id)}/comments`);
  }

  addComment(id: string, text: string): Promise<ReviewComment> {
    return this.request('POST', `/v1/reviews/${segment(id)}/comments`, { body: { text } });
  }

  context(id: string): Promise<ItemContext> {
    return this.request('GET', `/v1/reviews/${segment(id)}/context`);
  }

  lineage(id: string): Promise<Lineage> {
    return this.request('GET', `/v1/reviews/${segment(id)}/lineage`);
  }

  bulk(request: BulkRequest): Promise<BulkResult> {
    return this.request('POST', '/v1/reviews:bulk', { body: request });
  }

  // --- people ---

  progress(): Promise<Progress> {
    return this.request('GET', '/v1/me/progress');
  }

  audit(filter: AuditFilter = {}): Promise<Page<AuditEntry> & { nextCursor: string | null }> {
    return this.request('GET', '/v1/audit', { query: { ...filter } });
  }
}
