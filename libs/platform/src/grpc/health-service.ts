import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Readiness } from '../health/readiness.js';
import type { Logger } from '../logging/create-logger.js';

/** The name under which grpc.health.v1 reports the server as a whole. */
export const overallHealthService = '';

export interface HealthServiceOptions {
  serviceNames: readonly string[];
  readiness?: Readiness;
  logger: Logger;
  /** How often the readiness report is refreshed; default 2000 ms. */
  pollIntervalMs?: number;
}

/**
 * grpc.health.v1 for a server: the overall status ('') and one per service, all following the
 * readiness report. grpc-health-check answers Check from a status map, so the map is refreshed
 * on a timer (and only changes are written, because every write wakes Watch streams).
 */
export class HealthService {
  private readonly implementation = new HealthImplementation();
  private readonly names: string[];
  private current: ServingStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: HealthServiceOptions) {
    this.names = [overallHealthService, ...options.serviceNames];
  }

  addToServer(server: Server): void {
    this.implementation.addToServer(server);
  }

  /** Recomputes the status from readiness (SERVING when there is no readiness to follow). */
  async refresh(): Promise<ServingStatus> {
    if (this.stopped) return 'NOT_SERVING';
    const readiness = this.options.readiness;
    const next: ServingStatus = readiness === undefined || (await readiness.report()).ready ? 'SERVING' : 'NOT_SERVING';
    if (!this.stopped) this.set(next);
    return next;
  }

  startPolling(): void {
    if (this.timer || this.stopped || this.options.readiness === undefined) return;
    const intervalMs = this.options.pollIntervalMs ?? 2000;
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      this.refresh()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'health refresh failed'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops polling and reports NOT_SERVING from now on (the server is going away). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.set('NOT_SERVING');
  }

  private set(status: ServingStatus): void {
    if (status === this.current) return;
    if (this.current !== undefined) {
      this.options.logger.info({ from: this.current, to: status }, `grpc health is now ${status}`);
    }
    this.current = status;
    for (const name of this.names) this.implementation.setStatus(name, status);
  }
}
