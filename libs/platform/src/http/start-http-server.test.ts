import { describe, expect, it } from 'vitest';
import { KeelError } from '../errors/keel-error.js';
import { connectableHost, startHttpServer } from './start-http-server.js';

describe('startHttpServer', () => {
  it('lets an in-flight request finish on close, then stops accepting', async () => {
    let release: () => void = () => {};
    const server = await startHttpServer(
      (req, res) => {
        if (req.url === '/slow') {
          release = () => res.end('done');
          return;
        }
        res.end('fast');
      },
      { port: 0, host: '127.0.0.1' },
    );
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const inFlight = fetch(`${server.url}/slow`).then((response) => response.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = server.close();
    setTimeout(() => release(), 100);
    expect(await inFlight).toBe('done');
    const answeredAt = Date.now();
    await closed;
    // The kept-alive connection is closed as soon as it is idle, not at the drain timeout.
    expect(Date.now() - answeredAt).toBeLessThan(1000);
    await expect(fetch(`${server.url}/fast`)).rejects.toThrow();
  });

  it('bounds close when a request never finishes', async () => {
    const server = await startHttpServer(() => {}, { port: 0, host: '127.0.0.1', drainTimeoutMs: 150 });
    const hanging = fetch(`${server.url}/`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = Date.now();
    await server.close();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
  });

  it('fails with a one-line startup error when the port is taken', async () => {
    const first = await startHttpServer(() => {}, { port: 0, host: '127.0.0.1' });
    try {
      const attempt = startHttpServer(() => {}, { port: first.port, host: '127.0.0.1' });
      await expect(attempt).rejects.toBeInstanceOf(KeelError);
      await expect(attempt).rejects.toMatchObject({
        code: 'STARTUP.ADDRESS_IN_USE',
        message: `cannot listen for HTTP on 127.0.0.1:${first.port}: the address is already in use (another process has the port)`,
      });
    } finally {
      await first.close();
    }
  });

  it('shows wildcard binds as loopback addresses', () => {
    expect(connectableHost('0.0.0.0')).toBe('127.0.0.1');
    expect(connectableHost('::')).toBe('[::1]');
    expect(connectableHost('::1')).toBe('[::1]');
    expect(connectableHost('10.0.0.5')).toBe('10.0.0.5');
  });
});
