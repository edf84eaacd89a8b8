/**
 * For component tests: an ApiClient whose fetch is answered by handlers keyed by method and path
 * (query left out), recording every call, so a test says what the service answers and checks what
 * the screen sent.
 */
import { ApiClient } from '../api/client';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

type Answer = { status?: number; body?: unknown } | undefined;
export type Handler = (call: RecordedCall) => Answer | Promise<Answer>;

export function fakeService(handlers: Record<string, Handler>) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://console.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const call: RecordedCall = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const handler = handlers[`${method} ${url.pathname}`];
    if (!handler) {
      return new Response(JSON.stringify({ status: 404, title: 'Not Found', code: 'TEST.NO_HANDLER' }), {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
      });
    }
    const answer = (await handler(call)) ?? {};
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
      status,
      headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  };
  return { api: new ApiClient({ fetch: fetch as typeof globalThis.fetch }), calls };
}
