import type { ChatModel } from '@keel/models';
import { describe, expect, it } from 'vitest';
import { createModelCatalog } from './model-catalog.js';

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

  it('refuses no models and duplicate ids', () => {
    expect(() => createModelCatalog([])).toThrow(/at least one/);
    expect(() => createModelCatalog([model('a'), model('a')])).toThrow(/share the id a/);
  });
});
