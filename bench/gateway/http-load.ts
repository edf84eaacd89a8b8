/**
 * The load generator: keep-alive HTTP/1.1 POSTs of one JSON body, timed one after another
 * (latency) or by N concurrent workers for a fixed time (throughput). Every subject, the direct
 * call included, goes through this same client, so its cost cancels out of "added latency".
 */
import { Agent, request } from 'node:http';

export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ThroughputResult {
  requests: number;
  errors: number;
  requestsPerSec: number;
  /** The first error seen, to make a failing subject explain itself. */
  firstError?: string;
}

export function createClient(maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets });

  function post(target: Target): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        target.url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(target.body),
            ...target.headers,
          },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(target.body);
    });
  }

  /** One request that must succeed: a subject that answers errors is not measured. */
  async function expectOk(target: Target): Promise<void> {
    const status = await post(target);
    if (status !== 200) throw new Error(`${target.url} answered ${status}`);
  }

  async function throughput(target: Target, concurrency: number, durationMs: number): Promise<ThroughputResult> {
    let requests = 0;
    let errors = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const until = started + durationMs;
    const worker = async () => {
      while (performance.now() < until) {
        try {
          const status = await post(target);
          if (status === 200) requests++;
          else {
            errors++;
            firstError ??= `HTTP ${status}`;
          }
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - started;
    return {
      requests,
      errors,
      requestsPerSec: (requests * 1000) / elapsed,
      ...(firstError ? { firstError } : {}),
    };
  }

  return { post, expectOk, throughput, close: () => agent.destroy() };
}
