/**
 * The models this gateway serves, by id: the chat models (the first is the default of
 * `/v1/answers` and of gRPC `Answer` without a model) and the embedding models, which are only
 * listed here (`/v1/embeddings` serves them through the Embedder port, or the router).
 */
import type { ChatModel } from '@keel/models';
import { GrpcCode, KeelError } from '@keel/platform';

/** What `/v1/models` shows of a model. */
export interface ListedModel {
  id: string;
  ownedBy: string;
}

export interface ModelCatalog {
  readonly defaultModel: ChatModel;
  /** A chat model. */
  find(id: string): ChatModel | undefined;
  /** Any served model: chat models first, then embedding models. */
  list(): ListedModel[];
  describe(id: string): ListedModel | undefined;
}

/** Models that come and go (a provider's refreshed list): looked up after the fixed ones. */
export interface DynamicModels {
  find(id: string): ChatModel | undefined;
  list(): ChatModel[];
  /** Embedding models that come and go (the routing file's), listed after the fixed ones. */
  listEmbeddings?(): ListedModel[];
}

export function createModelCatalog(
  models: readonly ChatModel[],
  embeddingModels: readonly ListedModel[] = [],
  dynamic?: DynamicModels,
): ModelCatalog {
  const [defaultModel] = models;
  if (!defaultModel) throw new Error('the gateway needs at least one chat model');
  const byId = new Map<string, ChatModel>();
  const listed = new Map<string, ListedModel>();
  const add = (model: ListedModel) => {
    if (listed.has(model.id)) throw new Error(`two models share the id ${model.id}`);
    listed.set(model.id, { id: model.id, ownedBy: model.ownedBy });
  };
  for (const model of models) {
    add(model.descriptor);
    byId.set(model.descriptor.id, model);
  }
  for (const model of embeddingModels) add(model);
  const embedding = new Set(embeddingModels.map((model) => model.id));
  // A provider model named like a fixed one is hidden by it: ids route to exactly one model.
  const dynamicModel = (id: string) => (listed.has(id) ? undefined : dynamic?.find(id));
  return {
    defaultModel,
    find: (id) => byId.get(id) ?? dynamicModel(id),
    list: () => {
      const fixed = [...listed.values()];
      const chat = fixed.filter((model) => !embedding.has(model.id));
      const providers: ListedModel[] = [];
      const seen = new Set(listed.keys());
      for (const model of dynamic?.list() ?? []) {
        if (seen.has(model.descriptor.id)) continue;
        seen.add(model.descriptor.id);
        providers.push({ id: model.descriptor.id, ownedBy: model.descriptor.ownedBy });
      }
      const embeddings = fixed.filter((model) => embedding.has(model.id));
      for (const model of dynamic?.listEmbeddings?.() ?? []) {
        if (seen.has(model.id)) continue;
        seen.add(model.id);
        embeddings.push(model);
      }
      return [...chat, ...providers, ...embeddings];
    },
    describe: (id) => {
      const fixed = listed.get(id);
      if (fixed) return fixed;
      const model = dynamic?.find(id);
      if (model) return { id: model.descriptor.id, ownedBy: model.descriptor.ownedBy };
      return dynamic?.listEmbeddings?.().find((listed) => listed.id === id);
    },
  };
}

/** 404 / NOT_FOUND, worded as OpenAI words it, for clients that show the message. */
export function modelNotFound(id: string): KeelError {
  return new KeelError(`The model '${id}' does not exist or you do not have access to it.`, {
    code: 'MODEL.NOT_FOUND',
    httpStatus: 404,
    grpcCode: GrpcCode.NOT_FOUND,
    retryable: false,
  });
}
