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

/** A verbatim passage of one context that an answer quotes. */
export interface ChatQuote {
  marker: number;
  text: string;
  /** UTF-16 offsets of `text` within the context's text. */
  start: number;
  end: number;
}

export interface ChatResponse {
  content: string;
  /** The markers of the contexts the answer cites, in order of first use. */
  citedMarkers: number[];
  /**
   * The passages the answer quotes, when the model can say so exactly (the extractive model
   * can; a generative provider usually cannot and leaves this out).
   */
  quotes?: ChatQuote[];
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
