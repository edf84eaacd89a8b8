/** A model provider: an upstream with a list of models, each served as a ChatModel. */
import type { ChatModel } from '../chat-model.js';

export interface ModelProvider {
  /** `openai`, `anthropic`: the models' `provider` and `owned_by`. */
  readonly name: string;
  /** The provider's model ids (`GET /v1/models`). Throws a ProviderError. */
  listModels(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<string[]>;
  /** The ChatModel of one of its models (not checked against the list). */
  model(id: string): ChatModel;
}
