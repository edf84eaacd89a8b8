/**
 * `EVALUATION_SAMPLE_RATE`: the share of a tenant's answers that are scored, so that scoring
 * never costs more than a set share of traffic. A bare number is the default for every tenant,
 * `tenant=rate` entries override it: `0.5,acme=0.1,globex=1`. Every rate is in [0, 1].
 */
import { z } from '@keel/platform';

export interface SampleRates {
  /** For tenants without an override. */
  defaultRate: number;
  perTenant: ReadonlyMap<string, number>;
}

export const FULL_SAMPLING: SampleRates = { defaultRate: 1, perTenant: new Map() };

function rateOf(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(text)) return undefined;
  const rate = Number(text);
  return rate >= 0 && rate <= 1 ? rate : undefined;
}

/** Parses the variable, or returns the reason it is invalid. */
export function parseSampleRates(value: string): SampleRates | string {
  let defaultRate: number | undefined;
  const perTenant = new Map<string, number>();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    if (equals < 0) {
      const rate = rateOf(entry);
      if (rate === undefined) return `"${entry}" is not a rate in [0, 1]`;
      if (defaultRate !== undefined) return 'more than one default rate';
      defaultRate = rate;
      continue;
    }
    const tenant = entry.slice(0, equals).trim();
    const rate = rateOf(entry.slice(equals + 1).trim());
    if (!tenant || tenant.length > 512) return `"${entry}" needs a tenant id of 1 to 512 characters`;
    if (rate === undefined) return `"${entry}" needs a rate in [0, 1] after "="`;
    if (perTenant.has(tenant)) return `tenant ${tenant} is given twice`;
    perTenant.set(tenant, rate);
  }
  return { defaultRate: defaultRate ?? 1, perTenant };
}

export const sampleRatesSchema = z
  .string()
  .max(65_536)
  .default('1')
  .transform((value, context) => {
    const parsed = parseSampleRates(value);
    if (typeof parsed === 'string') {
      context.addIssue({ code: 'custom', message: `${parsed} (expected e.g. "0.5,acme=0.1")` });
      return z.NEVER;
    }
    return parsed;
  });

export function rateFor(rates: SampleRates, tenantId: string): number {
  return rates.perTenant.get(tenantId) ?? rates.defaultRate;
}
