import { ConfigError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from '../config.js';

const base = { KEEL_API_KEYS: 'k=acme::Alice' };

describe('the lineage proxy configuration', () => {
  it('is off by default: no URL and no keys', () => {
    expect(loadHumanReviewConfig(base).lineage).toEqual({ baseUrl: undefined, apiKeys: new Map(), timeoutMs: 3_000 });
  });

  it('reads EVALUATION_URL and the per-tenant keys of EVALUATION_API_KEYS', () => {
    const { lineage } = loadHumanReviewConfig({
      ...base,
      EVALUATION_URL: 'http://evaluation:8083',
      EVALUATION_API_KEYS: 'acme=eval-acme,globex=eval-globex',
    });
    expect(lineage.baseUrl).toBe('http://evaluation:8083');
    expect([...lineage.apiKeys]).toEqual([
      ['acme', 'eval-acme'],
      ['globex', 'eval-globex'],
    ]);
  });

  it('refuses to start on a malformed entry or URL, naming the variable and never the key', () => {
    const failure = (env: NodeJS.ProcessEnv) => {
      try {
        loadHumanReviewConfig({ ...base, ...env });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const keys = failure({ EVALUATION_API_KEYS: 'a-bare-secret-key' });
    expect(keys).toBeInstanceOf(ConfigError);
    expect(String((keys as Error).message)).toContain('EVALUATION_API_KEYS');
    expect(String((keys as Error).message)).not.toContain('a-bare-secret-key');
    expect(String((failure({ EVALUATION_URL: 'not a url' }) as Error).message)).toContain('EVALUATION_URL');
  });
});
