import { dirname, resolve } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

export interface ReflectionOptions {
  /** The folder the proto imports are relative to (`protoRoot` from @keel/contracts). */
  protoRoot: string;
  /** The service protos, relative to protoRoot (`serviceProtoFiles`). */
  files: readonly string[];
}

/** grpc-health-check ships `<root>/health/v1/health.proto`. */
const healthProtoRoot = resolve(dirname(healthProtoPath), '..', '..');

/**
 * Server reflection (v1 and v1alpha) over the service protos and grpc.health.v1, so that
 * grpcurl and Postman can list and call the services without local copies of the protos.
 * The protos are loaded here, from source, because the generated code carries no descriptors.
 */
export function addReflection(server: Server, options: ReflectionOptions): void {
  const definition = loadSync([...options.files, 'health/v1/health.proto'], {
    includeDirs: [options.protoRoot, healthProtoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
