import { Readiness, serveHttp } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { Router } from 'express';
import { describe, expect, it } from 'vitest';
import { requireAdminKey } from './admin-auth.js';

async function serve(adminApiKey: string | undefined) {
  const router = Router();
  router.use('/v1/admin', requireAdminKey(adminApiKey));
  router.get('/v1/admin/ping', (_req, res) => void res.json({ ok: true }));
  return serveHttp({
    serviceName: 'admin-test',
    logger: createTestLogger('admin-test').logger,
    readiness: new Readiness(),
    port: 0,
    host: '127.0.0.1',
    handlers: [router],
  });
}

describe('the admin guard', () => {
  it('answers 404 saying how to enable the admin API when KEEL_ADMIN_API_KEY is unset', async () => {
    const http = await serve(undefined);
    try {
      const response = await fetch(`${http.url}/v1/admin/ping`, { headers: { authorization: 'Bearer anything' } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        code: 'ADMIN.DISABLED',
        detail: expect.stringContaining('KEEL_ADMIN_API_KEY'),
      });
    } finally {
      await http.close();
    }
  });

  it('lets the admin key through, and only it', async () => {
    const key = 'k'.repeat(40);
    const http = await serve(key);
    try {
      const call = (authorization?: string) =>
        fetch(`${http.url}/v1/admin/ping`, authorization ? { headers: { authorization } } : {});
      expect((await call(`Bearer ${key}`)).status).toBe(200);
      expect(await (await call()).json()).toMatchObject({ code: 'AUTH.MISSING_ADMIN_KEY' });
      expect((await call(`Bearer ${key}x`)).status).toBe(401);
      expect((await call(`Bearer ${key.slice(1)}`)).status).toBe(401);
    } finally {
      await http.close();
    }
  });
});
