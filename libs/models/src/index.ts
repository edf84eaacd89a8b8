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
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from './chat-model.js';
export { isProviderError, ProviderError } from './chat-model.js';
export { citedMarkersOf, groundedMessagesOf } from './providers/grounding.js';
export type { ModelProvider } from './providers/provider.js';
export { type RetryPolicy, withRetries } from './providers/retry.js';
