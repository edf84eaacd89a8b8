/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseBusAndStore } from '@keel/adapters';
import type { Logger } from '@keel/platform';
import type { HumanReviewConfig } from './config.js';
import type { HumanReviewDeps } from './service.js';

export interface ComposedHumanReview extends HumanReviewDeps {
  /** Closes the adapters composed here (the service does not own them). */
  close(): Promise<void>;
}

export type SharedInfrastructure = Partial<Pick<HumanReviewDeps, 'bus'>>;

export async function composeHumanReview(
  config: HumanReviewConfig,
  logger: Logger,
  shared: SharedInfrastructure = {},
): Promise<ComposedHumanReview> {
  const infrastructure = await chooseBusAndStore({ ...config, logger, sharedBus: shared.bus });
  return { ...infrastructure, logger };
}
