export type {
  CallOptions,
  ChatMessage,
  ChatModel,
  ChatQuote,
  ChatRequest,
  ChatResponse,
  ChatUsage,
  FinishReason,
  Generation,
  GenerationEvent,
  GenerationMessage,
  GenerationRequest,
  GenerationStream,
  GroundingContext,
  ModelDescriptor,
  ProviderErrorKind,
  ServedBy,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from './chat-model.js';
export { isProviderError, ProviderError } from './chat-model.js';
export { citedMarkersOf, groundedMessagesOf } from './providers/grounding.js';
export type { EmbeddingRequest, EmbeddingResult, ModelProvider } from './providers/provider.js';
export {
  callWithRetries,
  finalStreamError,
  type OpenedStream,
  type RetryCall,
  type RetryPolicy,
  relayOpenedStream,
  withRetries,
} from './providers/retry.js';
