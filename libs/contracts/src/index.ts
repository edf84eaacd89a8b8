export {
  ContentType,
  type DecodedEvent,
  decodeEvent,
  type EncodedEvent,
  type EncodeOptions,
  EnvelopeHeader,
  type EventContentType,
  EventDecodeError,
  type EventMeta,
  encodeEvent,
} from './events/envelope.js';
export {
  deadLetterTopicOf,
  isTopicName,
  type MessageCodec,
  type TopicDefinition,
  type TopicName,
  type TopicPayload,
  topicNames,
  topics,
} from './events/topics.js';
export { protoRoot, serviceProtoFiles } from './proto-files.js';
