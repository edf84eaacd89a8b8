import {
  Server,
  type ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { InternalAuthConfig } from '../config/access-env.js';
import type { Readiness } from '../health/readiness.js';
import { connectableHost } from '../http/start-http-server.js';
import { listenFailure } from '../lifecycle/listen-failure.js';
import type { Logger } from '../logging/create-logger.js';
import { HealthService } from './health-service.js';
import { guardService, serverCredentialsFor } from './internal-auth.js';
import { addReflection, type ReflectionOptions } from './reflection.js';

export interface GrpcServiceRegistration {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface StartGrpcServerOptions {
  /** 0 picks any free port. */
  port: number;
  /** Default 127.0.0.1: every interface only when configured. */
  host?: string;
  services: GrpcServiceRegistration[];
  /** How callers of the services authenticate (mTLS, a shared token, or both); required. */
  auth: InternalAuthConfig;
  logger: Logger;
  /** grpc.health.v1 follows it; without it the server reports SERVING while it runs. */
  readiness?: Readiness;
  reflection?: ReflectionOptions;
  /** How long close() lets in-flight calls finish before forcing; default 5000 ms. */
  drainTimeoutMs?: number;
  /** How often health follows readiness; default 2000 ms. */
  healthPollIntervalMs?: number;
}

export interface RunningGrpcServer {
  port: number;
  /** `host:port` a client on this machine can dial. */
  address: string;
  close(): Promise<void>;
}

/** `keel.retrieval.v1.Retrieval` from a definition whose paths are `/keel.retrieval.v1.Retrieval/Search`. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  const match = first ? /^\/([^/]+)\/[^/]+$/.exec(first.path) : null;
  if (!match?.[1])
    throw new Error('a gRPC service definition needs at least one method with a /package.Service/Method path');
  return match[1];
}

function bindAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function bind(server: Server, host: string, port: number, serverCredentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(bindAddress(host, port), serverCredentials, (error, boundPort) => {
      if (error) reject(listenFailure('gRPC', host, port, error));
      else resolve(boundPort);
    });
  });
}

/**
 * Starts a gRPC server whose services accept only authenticated internal callers
 * (internal-auth.ts: mTLS when certificates are configured, a shared token otherwise) plus
 * grpc.health.v1, whose statuses ('' and each service) follow readiness, and server reflection
 * over the protos. `close()` reports NOT_SERVING, lets in-flight calls finish within the drain
 * timeout, then forces the shutdown: without that fallback, open client channels would keep the
 * server, and the process, alive.
 */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<RunningGrpcServer> {
  const host = options.host ?? '127.0.0.1';
  if (!options.auth.token && !options.auth.tls) {
    throw new Error('startGrpcServer needs internal authentication: a token, mTLS files, or both');
  }
  const serverCredentials = serverCredentialsFor(options.auth);
  const server = new Server();
  for (const service of options.services) {
    server.addService(
      service.definition,
      guardService(service.definition, service.implementation, options.auth, options.logger),
    );
  }

  const serviceNames = options.services.map((service) => serviceNameOf(service.definition));
  const health = new HealthService({
    serviceNames,
    logger: options.logger,
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.healthPollIntervalMs ? { pollIntervalMs: options.healthPollIntervalMs } : {}),
  });
  health.addToServer(server);
  if (options.reflection) addReflection(server, options.reflection);

  await health.refresh();
  let port: number;
  try {
    port = await bind(server, host, options.port, serverCredentials);
  } catch (error) {
    health.stop();
    server.forceShutdown();
    throw error;
  }
  health.startPolling();

  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  let closing: Promise<void> | undefined;
  return {
    port,
    address: `${connectableHost(host)}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        health.stop();
        const timer = setTimeout(() => {
          options.logger.warn({ drainTimeoutMs }, 'grpc calls still running after the drain timeout; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, drainTimeoutMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
