export { describeWithInfra } from './describe-with-infra.js';
export {
  type Availability,
  findHelm,
  findKafka,
  findMongo,
  findQdrant,
  type HelmEndpoint,
  hasContainerEngine,
  type InfraSource,
  infraIsRequired,
  isPortOpen,
  type KafkaEndpoint,
  type MongoEndpoint,
  type QdrantEndpoint,
} from './infrastructure.js';
export { uniqueName, waitFor } from './waiting.js';
