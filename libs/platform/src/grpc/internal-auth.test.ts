import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  RetrievalClient,
  RetrievalService,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InternalAuthConfig } from '../config/access-env.js';
import { testInternalAuth, testInternalToken } from '../testing/test-internal-auth.js';
import { createTestLogger } from '../testing/test-logger.js';
import { callUnary, createGrpcClient } from './grpc-client.js';
import { grpcHealthCheck } from './health-check.js';
import { type RunningGrpcServer, startGrpcServer } from './start-grpc-server.js';
import { unaryHandler } from './unary-handler.js';

const { logger, lines } = createTestLogger('retrieval');
const request: SearchRequest = {
  tenantId: 'acme',
  query: 'salaries',
  topK: 5,
  aclGroups: ['hr'],
  mode: 0,
  filters: {},
};
const secretChunk: SearchResponse = {
  chunks: [
    {
      chunkId: 'c1',
      documentId: 'salaries',
      documentVersion: 'v1',
      title: 'Salaries',
      source: '',
      text: 'restricted text',
      startOffset: 0,
      endOffset: 15,
      score: 1,
      denseRank: 1,
      keywordRank: 1,
      aclGroups: ['hr'],
    },
  ],
  embedder: 'fake',
};

function startServer(auth: InternalAuthConfig): Promise<RunningGrpcServer> {
  return startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    services: [
      { definition: RetrievalService, implementation: { search: unaryHandler(logger, async () => secretChunk) } },
    ],
    logger,
    auth,
  });
}

/** A plain client, as an attacker who reached the port would write it: no Keel helpers. */
function rawSearch(address: string, metadata = new Metadata(), channel = credentials.createInsecure()) {
  const client = new RetrievalClient(address, channel);
  return new Promise<{ error: ServiceError | null; response?: SearchResponse }>((resolve) => {
    client.search(request, metadata, { deadline: Date.now() + 3000 }, (error, response) => {
      client.close();
      resolve({ error, response });
    });
  });
}

describe('internal gRPC authentication with a shared token', () => {
  let server: RunningGrpcServer;
  beforeAll(async () => {
    server = await startServer(testInternalAuth);
  });
  afterAll(() => server.close());

  it('refuses a call without the token before the handler runs', async () => {
    const { error, response } = await rawSearch(server.address);
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toMatch(/KEEL_INTERNAL_TOKEN/);
    expect(response).toBeUndefined();
    expect(lines().some((line) => line.msg === 'internal call refused' && line.level === 'warn')).toBe(true);
  });

  it('refuses a wrong token', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${testInternalToken}x`);
    expect((await rawSearch(server.address, metadata)).error?.code).toBe(status.UNAUTHENTICATED);
  });

  it('accepts the clients Keel builds, which carry the token', async () => {
    const client = createGrpcClient(RetrievalClient, server.address, { auth: testInternalAuth, callerName: 'test' });
    try {
      const response = await callUnary(client.search.bind(client), request, {
        deadlineMs: 3000,
        dependency: 'retrieval',
      });
      expect(response.chunks[0]?.documentId).toBe('salaries');
    } finally {
      client.close();
    }
  });

  it('keeps health open for probes', async () => {
    const check = grpcHealthCheck(server.address, { auth: {} });
    try {
      expect((await check()).ok).toBe(true);
    } finally {
      check.close();
    }
  });

  it('will not start a server without any internal authentication', async () => {
    await expect(startServer({})).rejects.toThrow(/internal authentication/);
  });
});

describe('internal gRPC authentication with mTLS', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keel-mtls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });
  const file = (name: string) => join(directory, name);

  function issue(name: string, ca: string): void {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-subj',
      `/CN=${name}`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(file(`${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
  }

  function authority(name: string): void {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
      '-out',
      `${name}.crt`,
    );
  }

  const tlsOf = (name: string, ca: string): InternalAuthConfig => ({
    tls: { certFile: file(`${name}.crt`), keyFile: file(`${name}.key`), caFile: file(`${ca}.crt`) },
  });

  let server: RunningGrpcServer;
  beforeAll(async () => {
    authority('keel-ca');
    authority('other-ca');
    issue('retrieval', 'keel-ca');
    issue('gateway', 'keel-ca');
    issue('intruder', 'other-ca');
    server = await startServer(tlsOf('retrieval', 'keel-ca'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const searchAs = async (auth: InternalAuthConfig) => {
    const client = createGrpcClient(RetrievalClient, server.address.replace('127.0.0.1', 'localhost'), {
      auth,
      callerName: 'test',
    });
    try {
      return await callUnary(client.search.bind(client), request, { deadlineMs: 3000, dependency: 'retrieval' });
    } finally {
      client.close();
    }
  };

  it('serves a client whose certificate the shared CA signed', async () => {
    expect((await searchAs(tlsOf('gateway', 'keel-ca'))).chunks).toHaveLength(1);
  });

  it('refuses a client with a certificate from another CA, or none', async () => {
    await expect(
      // The intruder trusts Keel's CA, but its own certificate was signed by another one.
      searchAs({
        tls: { certFile: file('intruder.crt'), keyFile: file('intruder.key'), caFile: file('keel-ca.crt') },
      }),
    ).rejects.toThrow();
    const { error } = await rawSearch(
      server.address.replace('127.0.0.1', 'localhost'),
      new Metadata(),
      credentials.createSsl(readFileSync(file('keel-ca.crt'))),
    );
    expect(error).not.toBeNull();
    expect(error?.code).not.toBe(status.OK);
  });

  it('refuses a plaintext client', async () => {
    const { error } = await rawSearch(server.address);
    expect(error?.code).toBe(status.UNAVAILABLE);
  });
});
