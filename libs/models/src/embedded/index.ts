export {
  createExtractiveChatModel,
  type ExtractiveChatModelOptions,
  extractiveModelDescriptor,
  notFoundAnswer,
} from './extractive-chat-model.js';
