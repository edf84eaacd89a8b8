/** The models this gateway serves, by id; the first is the default of `/v1/answers`. */
import type { ChatModel, ModelDescriptor } from '@keel/models';

export interface ModelCatalog {
  readonly defaultModel: ChatModel;
  find(id: string): ChatModel | undefined;
  list(): ModelDescriptor[];
}

export function createModelCatalog(models: readonly ChatModel[]): ModelCatalog {
  const [defaultModel] = models;
  if (!defaultModel) throw new Error('the gateway needs at least one chat model');
  const byId = new Map<string, ChatModel>();
  for (const model of models) {
    if (byId.has(model.descriptor.id)) throw new Error(`two chat models share the id ${model.descriptor.id}`);
    byId.set(model.descriptor.id, model);
  }
  return {
    defaultModel,
    find: (id) => byId.get(id),
    list: () => models.map((model) => model.descriptor),
  };
}
