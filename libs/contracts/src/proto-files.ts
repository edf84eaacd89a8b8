import { fileURLToPath } from 'node:url';

/** The proto/ folder at the repository root: servers load it for gRPC reflection. */
export const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));

/** The service protos, relative to `protoRoot`. */
export const serviceProtoFiles = [
  'keel/retrieval/v1/retrieval.proto',
  'keel/policy/v1/policy.proto',
  'keel/inference/v1/inference.proto',
] as const;
