import type { ChatModel } from '@keel/models';
import { GrpcCode } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { createModelCatalog, modelNotFound } from './model-catalog.js';

function model(id: string): ChatModel {
  return {
    descriptor: { id, provider: 'test', ownedBy: 'keel' },
    complete: async () => ({
      content: '',
      citedMarkers: [],
      usage: { promptTokens: 0, completionTokens: 0 },
      finishReason: 'stop',
    }),
  };
}

describe('createModelCatalog', () => {
  it('finds models by id and defaults to the first', () => {
    const catalog = createModelCatalog([model('a'), model('b')]);
    expect(catalog.defaultModel.descriptor.id).toBe('a');
    expect(catalog.find('b')?.descriptor.id).toBe('b');
    expect(catalog.find('c')).toBeUndefined();
    expect(catalog.list().map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('lists embedding models after the chat models, without serving them as chat models', () => {
    const catalog = createModelCatalog([model('a')], [{ id: 'vectors-v1', ownedBy: 'keel' }]);
    expect(catalog.list()).toEqual([
      { id: 'a', ownedBy: 'keel' },
      { id: 'vectors-v1', ownedBy: 'keel' },
    ]);
    expect(catalog.describe('vectors-v1')).toEqual({ id: 'vectors-v1', ownedBy: 'keel' });
    expect(catalog.describe('b')).toBeUndefined();
    expect(catalog.find('vectors-v1')).toBeUndefined();
  });

  it('refuses no models and duplicate ids', () => {
    expect(() => createModelCatalog([])).toThrow(/at least one/);
    expect(() => createModelCatalog([model('a'), model('a')])).toThrow(/share the id a/);
    expect(() => createModelCatalog([model('a')], [{ id: 'a', ownedBy: 'keel' }])).toThrow(/share the id a/);
  });
});

describe('modelNotFound', () => {
  it('is a 404 / NOT_FOUND naming the model', () => {
    const error = modelNotFound('gpt-4o');
    expect(error).toMatchObject({ code: 'MODEL.NOT_FOUND', httpStatus: 404, grpcCode: GrpcCode.NOT_FOUND });
    expect(error.message).toContain("'gpt-4o'");
  });
});
