/**
 * List prices (USD per million tokens) of well-known models, as their providers published them in
 * 2025. They are a starting point: a platform team's `pricing` section in the routing file
 * overrides any of them (negotiated rates, new models) and adds the rest.
 */
import type { ModelPrice } from './model-price.js';

const price = (input: number, output: number, cachedInput?: number): ModelPrice => ({
  inputPerMillion: input,
  outputPerMillion: output,
  ...(cachedInput === undefined ? {} : { cachedInputPerMillion: cachedInput }),
});

export const defaultPriceCurrency = 'USD';

export const defaultModelPrices: Readonly<Record<string, ModelPrice>> = {
  // The built-in extractive model runs in process: free, and priced (so its requests are not "unpriced").
  'keel-extractive-v1': price(0, 0),
  // OpenAI
  'gpt-4o': price(2.5, 10, 1.25),
  'gpt-4o-mini': price(0.15, 0.6, 0.075),
  'gpt-4.1': price(2, 8, 0.5),
  'gpt-4.1-mini': price(0.4, 1.6, 0.1),
  'gpt-4.1-nano': price(0.1, 0.4, 0.025),
  'gpt-5': price(1.25, 10, 0.125),
  'gpt-5-mini': price(0.25, 2, 0.025),
  'gpt-5-nano': price(0.05, 0.4, 0.005),
  o1: price(15, 60, 7.5),
  o3: price(2, 8, 0.5),
  'o3-mini': price(1.1, 4.4, 0.55),
  'o4-mini': price(1.1, 4.4, 0.275),
  'gpt-3.5-turbo': price(0.5, 1.5),
  // Anthropic (cache reads at a tenth of the input price)
  'claude-opus-4-1': price(15, 75, 1.5),
  'claude-opus-4-0': price(15, 75, 1.5),
  'claude-sonnet-4-5': price(3, 15, 0.3),
  'claude-sonnet-4-0': price(3, 15, 0.3),
  'claude-3-7-sonnet': price(3, 15, 0.3),
  'claude-3-5-sonnet': price(3, 15, 0.3),
  'claude-haiku-4-5': price(1, 5, 0.1),
  'claude-3-5-haiku': price(0.8, 4, 0.08),
  'claude-3-haiku': price(0.25, 1.25, 0.03),
  // Embeddings (input tokens only). The built-in embedder runs in process: free, and priced.
  'wink-sg-100d-sif-v1': price(0, 0),
  'text-embedding-3-small': price(0.02, 0),
  'text-embedding-3-large': price(0.13, 0),
  'text-embedding-ada-002': price(0.1, 0),
};
