import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientUnaryCall,
  credentials,
  InterceptingCall,
  type Interceptor,
  type Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { fromGrpcError } from '../errors/grpc-status.js';
import { getTracer } from '../telemetry/spans.js';
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

/**
 * A client for a generated service (`new RetrievalClient(...)` under the hood) on an insecure
 * channel, with keepalive and retries of UNAVAILABLE. The mesh or the network policy secures
 * traffic inside the cluster. Close it with `client.close()` when the service stops.
 */
export function createGrpcClient<C extends Client>(
  ClientClass: GrpcClientConstructor<C>,
  address: string,
  options: ClientOptions = {},
): C {
  return new ClientClass(address, credentials.createInsecure(), { ...defaultGrpcClientOptions, ...options });
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
        // A bound client method does not say which RPC it is; the call's interceptor does.
        const nameSpan: Interceptor = (interceptorOptions, nextCall) => {
          const rpc = interceptorOptions.method_definition.path.replace(/^\//, '');
          span.updateName(rpc);
          span.setAttribute(ATTR_RPC_METHOD, rpc);
          return new InterceptingCall(nextCall(interceptorOptions));
        };
        try {
          const metadata = outgoingMetadata(options.tenantId);
          const callOptions = { deadline: Date.now() + options.deadlineMs, interceptors: [nameSpan] };
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
        } catch (error) {
          // The request could not even be serialised: a bug on this side, not the dependency's.
          fail(error);
        }
      }),
  );
}
