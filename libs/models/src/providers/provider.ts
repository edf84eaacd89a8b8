/** A model provider: an upstream with a list of models, each served as a ChatModel. */
import type { CallOptions, ChatModel } from '../chat-model.js';

export interface EmbeddingRequest {
  /** The model's id as the provider knows it. */
  model: string;
  input: readonly string[];
  /** Asks the provider for shorter vectors (OpenAI's `dimensions`), where the model supports it. */
  dimensions?: number;
}

export interface EmbeddingResult {
  /** One vector per input, in input order. */
  vectors: number[][];
  /** The provider's count (0 when it reports none). */
  promptTokens: number;
}

export interface ModelProvider {
  /** `openai`, `anthropic`: the models' `provider` and `owned_by`. */
  readonly name: string;
  /** The provider's model ids (`GET /v1/models`). Throws a ProviderError. */
  listModels(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<string[]>;
  /** The ChatModel of one of its models (not checked against the list). */
  model(id: string): ChatModel;
  /** Embeddings (`POST /v1/embeddings`), on providers that serve them. Throws a ProviderError. */
  embed?(request: EmbeddingRequest, options?: CallOptions): Promise<EmbeddingResult>;
}
