/**
 * Internal gRPC calls carry an authenticated identity. With certificates configured, both ends
 * present one signed by the shared CA (mTLS) and the server refuses a peer without one; with a
 * shared secret (`KEEL_INTERNAL_TOKEN`), every call carries it as a bearer token, compared in
 * constant time. Both may be on at once. Health and reflection stay open: they reveal service
 * names and schemas, never data, and probes must reach them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type ChannelCredentials,
  credentials,
  InterceptingCall,
  type Interceptor,
  type Metadata,
  type ServerCredentials,
  ServerCredentials as ServerCredentialsFactory,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { type InternalAuthConfig, readMutualTls } from '../config/access-env.js';
import { GrpcCode } from '../errors/keel-error.js';
import type { Logger } from '../logging/create-logger.js';

/** The caller's service name, for logs; not trusted for anything else. */
export const callerMetadataKey = 'x-keel-caller';
const authorizationKey = 'authorization';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function serverCredentialsFor(auth: InternalAuthConfig): ServerCredentials {
  if (!auth.tls) return ServerCredentialsFactory.createInsecure();
  const { cert, key, ca } = readMutualTls(auth.tls);
  // true: a client without a certificate signed by the CA fails the handshake.
  return ServerCredentialsFactory.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}

export function channelCredentialsFor(auth: InternalAuthConfig): ChannelCredentials {
  if (!auth.tls) return credentials.createInsecure();
  const { cert, key, ca } = readMutualTls(auth.tls);
  return credentials.createSsl(ca, key, cert);
}

/** Adds the shared secret and the caller's name to every outgoing call of a client. */
export function internalAuthInterceptor(auth: InternalAuthConfig, callerName: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (auth.token) metadata.set(authorizationKey, `Bearer ${auth.token}`);
        metadata.set(callerMetadataKey, callerName);
        next(metadata, listener);
      },
    });
}

/** Why a call is refused, or undefined when its credentials hold. */
export function refusalOf(metadata: Metadata, expectedTokenDigest: Buffer | undefined): string | undefined {
  if (!expectedTokenDigest) return undefined;
  const header = metadata.get(authorizationKey)[0];
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) return 'internal calls need the shared KEEL_INTERNAL_TOKEN as "authorization: Bearer <token>"';
  return timingSafeEqual(digest(match[1]), expectedTokenDigest) ? undefined : 'the internal token is not valid';
}

/**
 * Wraps every method of a service so that a call without valid credentials ends with
 * UNAUTHENTICATED before the handler runs. Keel's internal RPCs are unary; a streaming method is
 * refused at registration rather than left unguarded.
 */
export function guardService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  auth: InternalAuthConfig,
  logger: Logger,
): UntypedServiceImplementation {
  const expected = auth.token ? digest(auth.token) : undefined;
  const guarded: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (!handler) continue;
    if (method.requestStream || method.responseStream) {
      throw new Error(`${method.path}: only unary methods can be guarded by internal authentication`);
    }
    const unary = handler as (call: ServerUnaryCall<unknown, unknown>, callback: (...args: unknown[]) => void) => void;
    guarded[name] = ((call: ServerUnaryCall<unknown, unknown>, callback: (...args: unknown[]) => void) => {
      const refusal = refusalOf(call.metadata, expected);
      if (refusal) {
        logger.warn(
          { method: method.path, peer: call.getPeer(), caller: call.metadata.get(callerMetadataKey)[0] },
          'internal call refused',
        );
        callback({ code: GrpcCode.UNAUTHENTICATED, details: refusal });
        return;
      }
      unary(call, callback);
    }) as UntypedServiceImplementation[string];
  }
  return guarded;
}
