// @keel/platform: the service kit. Test helpers live at @keel/platform/testing.

// Configuration
export { z } from 'zod';
// Access: who may reach a service and read what
export {
  canRead,
  canReadGroups,
  combineReadRequirements,
  type GroupRequirement,
  readRequirementsOf,
} from './access/read-access.js';
export {
  type ApiKeyEnv,
  adminApiKeyEnvFields,
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  type InternalAuthConfig,
  type InternalAuthEnv,
  internalAuthEnvFields,
  internalAuthOf,
  type MutualTlsFiles,
  requireInternalAuth,
  requireSomeApiKey,
} from './config/access-env.js';
export { ConfigError, type ConfigIssue } from './config/config-error.js';
export {
  type EmbeddingsEndpoint,
  type EmbeddingsEnv,
  embeddingsEndpointOf,
  embeddingsEnvFields,
  requireCompleteEmbeddingsEnv,
} from './config/embeddings-env.js';
export { loadConfig } from './config/load-config.js';
export { booleanFlag, csvList, durationMs, optionalUrl, portSchema } from './config/schemas.js';
export { asDependencyFailure, callDependency } from './errors/dependency-failure.js';
// Errors
export { ErrorTrailer, fromGrpcError, type GrpcErrorStatus, toGrpcStatus } from './errors/grpc-status.js';
export {
  conflict,
  describeViolations,
  ErrorCode,
  forbidden,
  GrpcCode,
  internalError,
  isKeelError,
  KeelError,
  type KeelErrorOptions,
  methodNotAllowed,
  notFound,
  rateLimited,
  unauthenticated,
  unavailable,
  type Violation,
  validationError,
} from './errors/keel-error.js';
export { type ProblemDetails, problemContentType, toProblemDetails } from './errors/problem-details.js';

// gRPC
export {
  type CallUnaryOptions,
  callUnary,
  createGrpcClient,
  defaultGrpcClientOptions,
  type GrpcClientConstructor,
  type InternalClientIdentity,
  type UnaryMethod,
} from './grpc/grpc-client.js';
export { type GrpcHealthCheck, type GrpcHealthCheckOptions, grpcHealthCheck } from './grpc/health-check.js';
export { callerMetadataKey } from './grpc/internal-auth.js';
export { tenantMetadataKey } from './grpc/metadata.js';
export type { ReflectionOptions } from './grpc/reflection.js';
export {
  type GrpcServiceRegistration,
  type RunningGrpcServer,
  type StartGrpcServerOptions,
  serviceNameOf,
  startGrpcServer,
} from './grpc/start-grpc-server.js';
export { type GrpcCallContext, unaryHandler } from './grpc/unary-handler.js';

// Health
export {
  type CheckResult,
  Readiness,
  type ReadinessCheck,
  type ReadinessOptions,
  type ReadinessReport,
} from './health/readiness.js';

// HTTP
export {
  type ApiKeyEntry,
  type ApiKeyResolver,
  apiKeyEntriesFrom,
  apiKeyFingerprint,
  chainApiKeyResolvers,
  createStaticApiKeyResolver,
  demoKeyName,
  demoTenantId,
  type Principal,
  parseApiKeysSpec,
  principalOf,
  requireApiKey,
} from './http/api-keys.js';
export { asyncRoute } from './http/async-route.js';
export { type CreateHttpAppOptions, createHttpApp, finishHttpApp } from './http/create-http-app.js';
export { fromRequestReadingError } from './http/error-handler.js';
export { parseBody, violationsOf } from './http/parse-body.js';
export { parsePathParams, parseQuery } from './http/parse-request.js';
export { requestIdHeader } from './http/request-context.js';
export { type ServeHttpOptions, serveHttp } from './http/serve-http.js';
export { type RunningHttpServer, type StartHttpServerOptions, startHttpServer } from './http/start-http-server.js';

// Lifecycle
export { StartupCode } from './lifecycle/listen-failure.js';
export {
  type RunningService,
  type RunServiceOptions,
  runService,
  runServiceIn,
  type ServiceHost,
} from './lifecycle/run-service.js';
export { ShutdownSequence, type ShutdownSequenceOptions } from './lifecycle/shutdown-sequence.js';
export { describeStartFailure, type StartFailure } from './lifecycle/start-failure.js';

// Logging
export { type CreateLoggerOptions, createLogger, type Logger } from './logging/create-logger.js';

// Telemetry
export {
  currentTraceId,
  currentTraceparent,
  extractTraceContext,
  getMeter,
  getTracer,
  inActiveContext,
  injectTraceContext,
  recordSpanError,
  type SpanKindName,
  type TraceCarrier,
  type WithSpanOptions,
  withSpan,
} from './telemetry/spans.js';
export { type StartTelemetryOptions, startTelemetry, type Telemetry } from './telemetry/start-telemetry.js';
