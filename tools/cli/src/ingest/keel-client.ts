/**
 * The public ingestion API as the CLI uses it: `POST /v1/documents` (JSON, or a multipart upload
 * with the file in `file`), `GET /v1/jobs/:id`. A 4xx answer is final (the document is rejected
 * with the problem's detail); a 5xx, 429 or a network failure is retried with backoff.
 */

import { abortableSleep } from '../abortable-sleep.js';
import type { Payload } from './inputs.js';

export interface Accepted {
  jobIds: string[];
}

export interface JobState {
  status: string;
  reason?: string;
  code?: string;
}

/** The API refused the document: not retried. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const RETRIES = 4;

export class KeelClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly aclGroups: string[] | undefined,
  ) {}

  async submit(payload: Payload, signal?: AbortSignal): Promise<Accepted> {
    const response = await this.#send(
      () => {
        if (payload.kind === 'json') {
          const body = { ...payload.body, ...(this.aclGroups ? { aclGroups: this.aclGroups } : {}) };
          return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
        }
        const form = new FormData();
        form.set('title', payload.title);
        form.set('source', payload.source);
        form.set('documentId', payload.documentId);
        if (this.aclGroups) form.set('aclGroups', JSON.stringify(this.aclGroups));
        form.set('file', new Blob([payload.bytes]), payload.fileName);
        return { method: 'POST', body: form };
      },
      '/v1/documents',
      signal,
    );
    const body = (await response.json()) as { jobId?: string; documents?: { jobId: string }[] };
    const jobIds = body.jobId ? [body.jobId] : (body.documents ?? []).map((document) => document.jobId);
    if (jobIds.length === 0) throw new Error('the API accepted the document without a job id');
    return { jobIds };
  }

  async job(jobId: string, signal?: AbortSignal): Promise<JobState> {
    const response = await this.#send(() => ({ method: 'GET' }), `/v1/jobs/${encodeURIComponent(jobId)}`, signal);
    return (await response.json()) as JobState;
  }

  async #send(init: () => RequestInit, path: string, signal?: AbortSignal): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      if (attempt > 0) await abortableSleep(Math.min(200 * 2 ** attempt, 5_000), signal);
      let response: Response;
      try {
        const request = init();
        response = await fetch(`${this.baseUrl}${path}`, {
          ...request,
          headers: {
            ...(request.headers as Record<string, string> | undefined),
            authorization: `Bearer ${this.apiKey}`,
          },
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        lastError = error;
        continue;
      }
      if (response.ok) return response;
      const detail = await problemOf(response);
      if (response.status === 401)
        throw new Refused(401, `the API key was refused (${detail}); set KEEL_API_KEY or --api-key`);
      if (response.status < 500 && response.status !== 429) throw new Refused(response.status, detail);
      lastError = new Error(`${response.status}: ${detail}`);
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}

async function problemOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? `${response.status}`;
  } catch {
    return text.slice(0, 200) || `${response.status} ${response.statusText}`;
  }
}
