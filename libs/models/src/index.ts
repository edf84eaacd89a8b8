export type {
  ChatMessage,
  ChatModel,
  ChatQuote,
  ChatRequest,
  ChatResponse,
  ChatUsage,
  GroundingContext,
  ModelDescriptor,
} from './chat-model.js';
