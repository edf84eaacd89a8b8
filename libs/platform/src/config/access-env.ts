/**
 * Who may reach a service, defined once for every service: the interface it binds, the API keys
 * its HTTP API accepts, and the identity internal gRPC calls must carry. The defaults are the
 * safe ones: loopback only, no key at all (a service with an HTTP API and no keys refuses to
 * start instead of running open), and no anonymous internal calls.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type ApiKeyEntry, apiKeyEntriesFrom } from '../http/api-keys.js';

/** The interface to listen on; loopback unless configured (the chart sets 0.0.0.0). */
export const bindHostEnvFields = {
  HOST: z.string().trim().min(1).default('127.0.0.1'),
};

export const apiKeyEnvFields = {
  KEEL_API_KEYS: z.string().default(''),
  // Only the one-process launcher sets it unasked; Helm releases never do.
  KEEL_DEMO_API_KEY: z.string().trim().min(8, 'use at least 8 characters').optional().or(z.literal('')),
};

/**
 * The operator's admin key (KEEL_ADMIN_API_KEY), one name for every service that has an admin API
 * (the gateway's keys and budgets, human-review's accounts and queues); unset or empty disables it.
 */
export const adminApiKeyEnvFields = {
  KEEL_ADMIN_API_KEY: z
    .string()
    .trim()
    .min(32, 'use a random secret of at least 32 characters (openssl rand -hex 32)')
    .optional()
    .or(z.literal('')),
};

export interface ApiKeyEnv {
  KEEL_API_KEYS: string;
  KEEL_DEMO_API_KEY?: string | undefined;
}

/** For a schema's `superRefine`: a service with an HTTP API needs at least one key. */
export function requireSomeApiKey(env: ApiKeyEnv, context: z.RefinementCtx): void {
  if (env.KEEL_API_KEYS.trim().length > 0 || env.KEEL_DEMO_API_KEY) return;
  context.addIssue({
    code: 'custom',
    path: ['KEEL_API_KEYS'],
    message:
      'no API keys are configured, and this service does not run open: set KEEL_API_KEYS ' +
      '(key=tenant[:group|group][:name],...), or KEEL_DEMO_API_KEY for a demo tenant on one machine',
  });
}

export function apiKeysOf(env: ApiKeyEnv): ApiKeyEntry[] {
  return apiKeyEntriesFrom(env.KEEL_API_KEYS, env.KEEL_DEMO_API_KEY || undefined);
}

export const internalAuthEnvFields = {
  KEEL_INTERNAL_TOKEN: z
    .string()
    .trim()
    .min(32, 'use a random secret of at least 32 characters (openssl rand -hex 32)')
    .optional()
    .or(z.literal('')),
  KEEL_GRPC_TLS_CERT: z.string().trim().optional(),
  KEEL_GRPC_TLS_KEY: z.string().trim().optional(),
  KEEL_GRPC_TLS_CA: z.string().trim().optional(),
};

export interface InternalAuthEnv {
  KEEL_INTERNAL_TOKEN?: string | undefined;
  KEEL_GRPC_TLS_CERT?: string | undefined;
  KEEL_GRPC_TLS_KEY?: string | undefined;
  KEEL_GRPC_TLS_CA?: string | undefined;
}

/** File paths of this service's certificate, its key and the CA every peer's certificate is checked against. */
export interface MutualTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** How internal gRPC calls authenticate: mTLS, a shared secret, or both. */
export interface InternalAuthConfig {
  token?: string;
  tls?: MutualTlsFiles;
}

const tlsVariables = ['KEEL_GRPC_TLS_CERT', 'KEEL_GRPC_TLS_KEY', 'KEEL_GRPC_TLS_CA'] as const;

/** For a schema's `superRefine`: a service that serves or calls internal gRPC needs an identity. */
export function requireInternalAuth(env: InternalAuthEnv, context: z.RefinementCtx): void {
  const tlsGiven = tlsVariables.filter((name) => env[name]);
  if (tlsGiven.length > 0 && tlsGiven.length < tlsVariables.length) {
    for (const name of tlsVariables) {
      if (!env[name]) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `required when ${tlsGiven.join(', ')} is set (mTLS)`,
        });
      }
    }
    return;
  }
  if (tlsGiven.length === 0 && !env.KEEL_INTERNAL_TOKEN) {
    context.addIssue({
      code: 'custom',
      path: ['KEEL_INTERNAL_TOKEN'],
      message:
        'internal gRPC calls need an identity: set KEEL_INTERNAL_TOKEN (a shared secret of at least 32 ' +
        'characters, the same in every service) or KEEL_GRPC_TLS_CERT, KEEL_GRPC_TLS_KEY and KEEL_GRPC_TLS_CA for mTLS',
    });
  }
}

export function internalAuthOf(env: InternalAuthEnv): InternalAuthConfig {
  const {
    KEEL_INTERNAL_TOKEN: token,
    KEEL_GRPC_TLS_CERT: certFile,
    KEEL_GRPC_TLS_KEY: keyFile,
    KEEL_GRPC_TLS_CA: caFile,
  } = env;
  return {
    ...(token ? { token } : {}),
    ...(certFile && keyFile && caFile ? { tls: { certFile, keyFile, caFile } } : {}),
  };
}

/** The PEM material of mTLS, read when a server or client is built (certificates rotate with restarts). */
export interface MutualTlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export function readMutualTls(files: MutualTlsFiles): MutualTlsMaterial {
  const read = (path: string, variable: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(
        `${variable}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  return {
    cert: read(files.certFile, 'KEEL_GRPC_TLS_CERT'),
    key: read(files.keyFile, 'KEEL_GRPC_TLS_KEY'),
    ca: read(files.caFile, 'KEEL_GRPC_TLS_CA'),
  };
}
