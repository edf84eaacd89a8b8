import { describe, expect, it } from 'vitest';
import { createPriceTable, formatAmount } from './price-table.js';

describe('the price table', () => {
  it('bills cached input and reasoning output at their own rates, each token once', () => {
    const prices = createPriceTable({
      models: {
        m: { inputPerMillion: 2, outputPerMillion: 8, cachedInputPerMillion: 0.5, reasoningPerMillion: 10 },
      },
    });
    // 1,000 prompt tokens of which 400 cached; 500 completion tokens of which 200 reasoning.
    const cost = prices.costOf('m', {
      promptTokens: 1000,
      completionTokens: 500,
      cachedTokens: 400,
      reasoningTokens: 200,
    });
    // 600×2 + 400×0.5 + 300×8 + 200×10 per million = 5,800 / 1e6
    expect(cost).toEqual({ nanos: 5_800_000, currency: 'USD', priced: true });
    expect(formatAmount(cost.nanos)).toBe('0.0058');
  });

  it('falls back to the plain rates when a model has no cached or reasoning rate', () => {
    const prices = createPriceTable({ models: { m: { inputPerMillion: 1, outputPerMillion: 3 } } });
    expect(
      prices.costOf('m', { promptTokens: 100, completionTokens: 10, cachedTokens: 50, reasoningTokens: 5 }).nanos,
    ).toBe(130_000);
  });

  it('prices an unknown model at 0 with priced: false, never failing', () => {
    const prices = createPriceTable();
    expect(prices.costOf('mystery', { promptTokens: 10, completionTokens: 10 })).toEqual({
      nanos: 0,
      currency: 'USD',
      priced: false,
    });
    // Before the call, an unknown model (a routing alias, say) is bounded at the table's dearest rates.
    const bound = prices.maxCostOf('mystery', 1000, 1000);
    expect(bound.priced).toBe(false);
    expect(bound.nanos).toBe(prices.maxCostOf('claude-opus-4-1', 1000, 1000).nanos);
  });

  it('knows well-known models, dated snapshots included, and the free built-in model', () => {
    const prices = createPriceTable();
    expect(prices.priceOf('gpt-4o-mini')).toMatchObject({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    expect(prices.priceOf('gpt-4o-2024-08-06')).toBe(prices.priceOf('gpt-4o'));
    expect(prices.priceOf('claude-sonnet-4-5-20250929')).toBe(prices.priceOf('claude-sonnet-4-5'));
    expect(prices.priceOf('claude-3-5-haiku-latest')).toBe(prices.priceOf('claude-3-5-haiku'));
    expect(prices.costOf('keel-extractive-v1', { promptTokens: 1000, completionTokens: 100 })).toEqual({
      nanos: 0,
      currency: 'USD',
      priced: true,
    });
  });

  it('bounds a request before it runs with the dearest output rate', () => {
    const prices = createPriceTable({
      models: { m: { inputPerMillion: 1, outputPerMillion: 4, reasoningPerMillion: 6 } },
    });
    expect(prices.maxCostOf('m', 1000, 100).nanos).toBe(1_000_000 + 600_000);
  });

  it('takes a new pricing section on update: overrides on top of the USD defaults, or only its own models in another currency', () => {
    const prices = createPriceTable();
    prices.update({
      models: {
        'gpt-4o': { inputPerMillion: 1, outputPerMillion: 2 },
        mine: { inputPerMillion: 1, outputPerMillion: 1 },
      },
    });
    expect(prices.priceOf('gpt-4o')).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
    expect(prices.priceOf('gpt-4o-mini')).toBeDefined();
    prices.update({ currency: 'EUR', models: { mine: { inputPerMillion: 1, outputPerMillion: 1 } } });
    expect(prices.currency).toBe('EUR');
    expect(prices.priceOf('gpt-4o-mini')).toBeUndefined();
    expect(prices.costOf('mine', { promptTokens: 1_000_000, completionTokens: 0 })).toEqual({
      nanos: 1_000_000_000,
      currency: 'EUR',
      priced: true,
    });
    expect(() => prices.update({ currency: 'euro' })).toThrow();
    // A refused section leaves the table as it was.
    expect(prices.currency).toBe('EUR');
  });
});
