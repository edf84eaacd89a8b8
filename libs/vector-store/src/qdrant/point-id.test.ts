import { describe, expect, it } from 'vitest';
import { pointIdFor } from './point-id.js';

describe('pointIdFor', () => {
  it('is the RFC 4122 version 5 UUID of the chunk id in the Keel namespace', () => {
    // Cross-checked with the `uuid` package: v5(name, '8f1d6c2a-4b7e-4e0f-9a3c-5d2b1e6f7a80').
    expect(pointIdFor('doc-1#0')).toBe('42b5d466-85d6-58a0-95d4-12e82e89275b');
    expect(pointIdFor('ü/ß')).toBe('46f40334-d4da-5314-b3ae-b1fd55f0a3e4');
  });

  it('is stable and distinct per chunk id', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => pointIdFor(`chunk-${i}`));
    expect(new Set(ids).size).toBe(1000);
    expect(pointIdFor('chunk-7')).toBe(ids[7]);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
