/**
 * The price table: what a request costs, from the model's prices (model-price.ts) and the usage
 * the provider reported. Prompt tokens include cached ones and completion tokens include reasoning
 * ones (as OpenAI reports them, and as the Anthropic adapter translates them), so each part is
 * billed once at its own rate. A model missing from the table costs 0 with `priced: false`: the
 * request is served and the ledger shows it was not billed, rather than failing or guessing.
 *
 * Lookup: the exact model name, else the name without a dated snapshot suffix
 * (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`) or `-latest`.
 */
import type { ChatUsage } from '@keel/models';
import { defaultModelPrices, defaultPriceCurrency } from './default-prices.js';
import { type ModelPrice, type PricingSection, pricingSectionSchema } from './model-price.js';

export interface Cost {
  /** In nano-units of `currency` (integers add up exactly). */
  nanos: number;
  currency: string;
  priced: boolean;
}

export interface PriceTable {
  readonly currency: string;
  priceOf(model: string): ModelPrice | undefined;
  costOf(model: string, usage: ChatUsage): Cost;
  /**
   * An upper bound of a request's cost before it runs: every prompt token at the input rate, every
   * allowed output token at the dearer of the output and reasoning rates. A model not in the table
   * (a routing alias whose deployments are priced under their own names, or a new model) is bounded
   * at the dearest rates of the table, so a budget is never overspent for want of a price.
   */
  maxCostOf(model: string, promptTokens: number, maxOutputTokens: number): Cost;
  /**
   * Replaces the configured part (the routing file's `pricing` section, on every reload). In USD the
   * built-in defaults stay underneath; in another currency only the section's models are priced,
   * since the defaults are USD list prices.
   */
  update(section: PricingSection | unknown): void;
}

// Per-million rate → nano-units per token: rate × 1e9 / 1e6.
const nanosPerToken = (perMillion: number) => perMillion * 1_000;

const snapshotSuffix = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

export function createPriceTable(section?: PricingSection | unknown): PriceTable {
  let currency = defaultPriceCurrency;
  let prices = new Map<string, ModelPrice>(Object.entries(defaultModelPrices));

  const priceOf = (model: string): ModelPrice | undefined =>
    prices.get(model) ?? prices.get(model.replace(snapshotSuffix, ''));

  const table: PriceTable = {
    get currency() {
      return currency;
    },
    priceOf,
    costOf(model, usage) {
      const price = priceOf(model);
      if (!price) return { nanos: 0, currency, priced: false };
      const prompt = Math.max(0, usage.promptTokens);
      const cached = Math.min(prompt, Math.max(0, usage.cachedTokens ?? 0));
      const completion = Math.max(0, usage.completionTokens);
      const reasoning = Math.min(completion, Math.max(0, usage.reasoningTokens ?? 0));
      const nanos =
        (prompt - cached) * nanosPerToken(price.inputPerMillion) +
        cached * nanosPerToken(price.cachedInputPerMillion ?? price.inputPerMillion) +
        (completion - reasoning) * nanosPerToken(price.outputPerMillion) +
        reasoning * nanosPerToken(price.reasoningPerMillion ?? price.outputPerMillion);
      return { nanos: Math.round(nanos), currency, priced: true };
    },
    maxCostOf(model, promptTokens, maxOutputTokens) {
      const price = priceOf(model);
      const input = price
        ? price.inputPerMillion
        : Math.max(0, ...[...prices.values()].map((each) => each.inputPerMillion));
      const output = price
        ? Math.max(price.outputPerMillion, price.reasoningPerMillion ?? 0)
        : Math.max(
            0,
            ...[...prices.values()].map((each) => Math.max(each.outputPerMillion, each.reasoningPerMillion ?? 0)),
          );
      const nanos = promptTokens * nanosPerToken(input) + maxOutputTokens * nanosPerToken(output);
      return { nanos: Math.ceil(nanos), currency, priced: price !== undefined };
    },
    update(raw) {
      const parsed = pricingSectionSchema.parse(raw ?? {});
      const next = new Map<string, ModelPrice>(
        parsed.currency === defaultPriceCurrency ? Object.entries(defaultModelPrices) : [],
      );
      for (const [model, price] of Object.entries(parsed.models)) next.set(model, price);
      currency = parsed.currency;
      prices = next;
    },
  };
  if (section !== undefined) table.update(section);
  return table;
}

/** A cost as the header and the event show it: up to 9 decimals, no trailing zeros. */
export function formatAmount(nanos: number): string {
  const fixed = (nanos / 1_000_000_000).toFixed(9);
  return fixed.replace(/\.?0+$/, '') || '0';
}
