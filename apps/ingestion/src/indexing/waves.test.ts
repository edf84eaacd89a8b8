import { describe, expect, it } from 'vitest';
import { wavesOf } from './indexing-pipeline.js';

describe('wavesOf', () => {
  it("puts each document once per wave, its requests in order, other tenants' same ids apart", () => {
    const waves = wavesOf([
      { tenantId: 'acme', documentId: 'a' },
      { tenantId: 'acme', documentId: 'b' },
      { tenantId: 'acme', documentId: 'a' },
      { tenantId: 'globex', documentId: 'a' },
      { tenantId: 'acme', documentId: 'a' },
    ]);
    expect(waves).toEqual([[0, 1, 3], [2], [4]]);
  });
});
