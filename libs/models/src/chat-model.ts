/**
 * The ChatModel port. Retrieved context travels as structured data rather than pre-rendered
 * prompt text: a provider adapter renders it into its prompt format, while the embedded
 * extractive model quotes from it directly.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GroundingContext {
  /** The citation marker the answer uses for this context: [1], [2], ... */
  marker: number;
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  contexts: GroundingContext[];
  maxTokens?: number;
  temperature?: number;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResponse {
  content: string;
  /** The markers of the contexts the answer cites, in order of first use. */
  citedMarkers: number[];
  usage: ChatUsage;
  finishReason: 'stop' | 'length' | 'content_filter';
}

export interface ModelDescriptor {
  id: string;
  provider: string;
  ownedBy: string;
}

export interface ChatModel {
  readonly descriptor: ModelDescriptor;
  complete(request: ChatRequest): Promise<ChatResponse>;
}
