/**
 * What the HTTP surface takes from the tenancy (when the composition gave one): the key resolver
 * (static `KEEL_API_KEYS` first, then issued keys), the metered event publisher, the metering
 * middleware of the model routes, and the admin and usage routers. Without a tenancy (tests that
 * compose the gateway by hand) everything passes through: static keys, no metering, no routes.
 */
import type { EventPublisher } from '@keel/event-bus';
import { type ApiKeyResolver, chainApiKeyResolvers, type Logger } from '@keel/platform';
import type { RequestHandler, Router } from 'express';
import type { ModelCatalog } from '../../models/model-catalog.js';
import type { Tenancy } from '../../tenancy/tenancy.js';
import { meteredEvents } from '../../usage/metered-events.js';
import { adminRouter } from '../admin/admin-routes.js';
import { usageRouter } from '../usage-routes.js';
import { type MeteredEndpoint, meterRequests } from './http-metering.js';

type Publisher = Pick<EventPublisher, 'publish'>;

export interface TenancyHttp {
  apiKeys: ApiKeyResolver;
  events: Publisher;
  meter(endpoint: MeteredEndpoint): RequestHandler | undefined;
  routers(): Router[];
}

export function tenancyHttp(
  tenancy: Tenancy | undefined,
  input: { staticKeys: ApiKeyResolver; events: Publisher; catalog: ModelCatalog; logger: Logger },
): TenancyHttp {
  if (!tenancy) {
    return { apiKeys: input.staticKeys, events: input.events, meter: () => undefined, routers: () => [] };
  }
  const apiKeys = chainApiKeyResolvers(input.staticKeys, tenancy.keyResolver);
  const events = meteredEvents(input.events, tenancy.metering);
  const currency = () => tenancy.prices.currency;
  return {
    apiKeys,
    events,
    meter: (endpoint) =>
      meterRequests(
        { metering: tenancy.metering, catalog: input.catalog, events, cache: tenancy.cache, logger: input.logger },
        endpoint,
      ),
    routers: () => [
      adminRouter({
        adminApiKey: tenancy.adminApiKey,
        keys: tenancy.keys,
        keyResolver: tenancy.keyResolver,
        limits: tenancy.limits,
        budgets: tenancy.budgets,
        ledger: tenancy.ledger,
        currency,
      }),
      usageRouter({ ledger: tenancy.ledger, apiKeys, currency }),
    ],
  };
}
