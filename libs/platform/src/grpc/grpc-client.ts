import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientUnaryCall,
  InterceptingCall,
  type Interceptor,
  type Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { context, createContextKey, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import type { InternalAuthConfig } from '../config/access-env.js';
import { fromGrpcError } from '../errors/grpc-status.js';
import { getTracer } from '../telemetry/spans.js';
import { channelCredentialsFor, internalAuthInterceptor } from './internal-auth.js';
import { grpcCodeName, outgoingMetadata } from './metadata.js';

/**
 * Retries calls that end with UNAVAILABLE: the server was unreachable or restarting, or it says
 * it cannot serve right now. Retries stay within the call's deadline. Keel's RPCs (search,
 * policy checks) are idempotent; a non-idempotent RPC must not answer UNAVAILABLE after acting.
 */
const retryServiceConfig = {
  methodConfig: [
    {
      name: [{}],
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: '0.1s',
        maxBackoff: '1s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};

export const defaultGrpcClientOptions: ClientOptions = {
  'grpc.service_config': JSON.stringify(retryServiceConfig),
  'grpc.enable_retries': 1,
  // Detect a dead peer (a killed pod, a dropped NAT entry) during a call instead of waiting for the deadline.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

export type GrpcClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ClientOptions,
) => C;

/** The CLIENT span of the call callUnary is making, for the client's interceptor to name. */
const rpcSpanKey = createContextKey('keel.grpc.client-span');

/**
 * A bound client method does not say which RPC it is; the call's interceptor does. It is a
 * client interceptor, not a per-call one: grpc-js drops the client's interceptors (the internal
 * credentials among them) for a call that brings its own.
 */
const nameRpcSpan: Interceptor = (interceptorOptions, nextCall) => {
  const span = context.active().getValue(rpcSpanKey) as Span | undefined;
  if (span) {
    const rpc = interceptorOptions.method_definition.path.replace(/^\//, '');
    span.updateName(rpc);
    span.setAttribute(ATTR_RPC_METHOD, rpc);
  }
  return new InterceptingCall(nextCall(interceptorOptions));
};

export interface InternalClientIdentity {
  auth: InternalAuthConfig;
  /** This service's name, sent along for the callee's logs. */
  callerName: string;
}

/**
 * A client for a generated service (`new RetrievalClient(...)` under the hood) that authenticates
 * as an internal caller (mTLS when certificates are configured, the shared token on every call),
 * with keepalive and retries of UNAVAILABLE. Close it with `client.close()` when the service stops.
 */
export function createGrpcClient<C extends Client>(
  ClientClass: GrpcClientConstructor<C>,
  address: string,
  identity: InternalClientIdentity,
  options: ClientOptions = {},
): C {
  return new ClientClass(address, channelCredentialsFor(identity.auth), {
    ...defaultGrpcClientOptions,
    ...options,
    interceptors: [
      nameRpcSpan,
      internalAuthInterceptor(identity.auth, identity.callerName),
      ...(options.interceptors ?? []),
    ],
  });
}

export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallUnaryOptions {
  /** Every call has a deadline; there is no default on purpose. */
  deadlineMs: number;
  tenantId?: string;
  /** The called system as operators know it (`retrieval`); it names the errors and the span. */
  dependency: string;
}

/**
 * Calls a unary method with a deadline, the active trace context and the tenant in metadata,
 * inside a CLIENT span. Failures become KeelErrors: UNAVAILABLE and DEADLINE_EXCEEDED are
 * retryable `unavailable(dependency, ...)`, INVALID_ARGUMENT a validationError with the callee's
 * violations, and the callee's own codes (`x-keel-error-code`) are kept.
 *
 * Usage: `callUnary(client.search.bind(client), request, { deadlineMs: 2000, tenantId, dependency: 'retrieval' })`.
 */
export function callUnary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: CallUnaryOptions,
): Promise<Res> {
  return getTracer().startActiveSpan(
    `${options.dependency} call`,
    { kind: SpanKind.CLIENT, attributes: { [ATTR_RPC_SYSTEM_NAME]: 'grpc', 'keel.dependency': options.dependency } },
    (span) =>
      new Promise<Res>((resolve, reject) => {
        const fail = (error: unknown) => {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
          span.end();
          reject(error);
        };
        try {
          const metadata = outgoingMetadata(options.tenantId);
          const callOptions = { deadline: Date.now() + options.deadlineMs };
          const invoke = () =>
            method(request, metadata, callOptions, (error, response) => {
              if (error) {
                span.setAttribute(ATTR_RPC_STATUS_CODE, grpcCodeName(error.code));
                fail(fromGrpcError(error, { dependency: options.dependency, deadlineMs: options.deadlineMs }));
                return;
              }
              span.setAttribute(ATTR_RPC_STATUS_CODE, 'OK');
              span.end();
              resolve(response);
            });
          context.with(context.active().setValue(rpcSpanKey, span), invoke);
        } catch (error) {
          // The request could not even be serialised: a bug on this side, not the dependency's.
          fail(error);
        }
      }),
  );
}
