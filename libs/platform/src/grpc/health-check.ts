import { type Client, Metadata, makeClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import type { InternalAuthConfig } from '../config/access-env.js';
import type { CheckResult } from '../health/readiness.js';
import { channelCredentialsFor } from './internal-auth.js';

export interface GrpcHealthCheckOptions {
  /** The dependency's internal authentication: with mTLS, even health needs a client certificate. */
  auth: InternalAuthConfig;
  /** The service to ask about; '' (default) is the server as a whole. */
  service?: string;
  /** Deadline of each Check; default 1000 ms, below the readiness check bound. */
  timeoutMs?: number;
}

export type GrpcHealthCheck = (() => Promise<CheckResult>) & {
  /** Closes the channel the check uses. */
  close(): void;
};

type HealthClient = Client & {
  check(
    request: { service: string },
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: { status?: string }) => void,
  ): void;
};

const HealthClientClass = makeClientConstructor(healthServiceDefinition, 'grpc.health.v1.Health');

/**
 * A readiness check for a gRPC dependency: grpc.health.v1 Check with a short deadline. The
 * channel is created on first use and reused, so a check costs one round trip.
 * Usage: `readiness.register('retrieval', grpcHealthCheck(config.retrievalAddress, { auth }))`.
 */
export function grpcHealthCheck(address: string, options: GrpcHealthCheckOptions): GrpcHealthCheck {
  const service = options.service ?? '';
  const timeoutMs = options.timeoutMs ?? 1000;
  let client: HealthClient | undefined;
  const check = () =>
    new Promise<CheckResult>((resolve) => {
      client ??= new HealthClientClass(address, channelCredentialsFor(options.auth)) as unknown as HealthClient;
      client.check({ service }, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) {
          resolve({ ok: false, detail: `${address}: ${error.details || error.message}` });
          return;
        }
        const status = response?.status ?? 'UNKNOWN';
        resolve({ ok: status === 'SERVING', detail: `${address}: ${status}` });
      });
    });
  return Object.assign(check, {
    close() {
      client?.close();
      client = undefined;
    },
  });
}
