import { z } from '@keel/platform';

const perMillionTokens = z.number().nonnegative().finite();

/**
 * What one model costs, in the price table's currency per million tokens. Providers bill cached
 * input and reasoning output at their own rates; when a rate is absent the plain input or output
 * rate applies, which over-estimates rather than under-bills.
 */
export const modelPriceSchema = z
  .object({
    inputPerMillion: perMillionTokens,
    outputPerMillion: perMillionTokens,
    cachedInputPerMillion: perMillionTokens.optional(),
    reasoningPerMillion: perMillionTokens.optional(),
  })
  .strict();

export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** The `pricing` section of the gateway's routing file (`KEEL_GATEWAY_CONFIG`). */
export const pricingSectionSchema = z
  .object({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
      .default('USD'),
    models: z.record(z.string().min(1).max(256), modelPriceSchema).default({}),
  })
  .strict();

export type PricingSection = z.infer<typeof pricingSectionSchema>;
