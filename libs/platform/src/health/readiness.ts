export interface CheckResult {
  ok: boolean;
  detail: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface ReadinessOptions {
  /** Upper bound of each check; default 2000 ms. A probe must answer before its own timeout. */
  checkTimeoutMs?: number;
}

/** The check reported while the service drains: load balancers stop sending it new work. */
export const shutdownCheckName = 'shutdown';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the service can do its work now: its dependencies answer. Served on `/readyz` and as
 * the gRPC health status. Checks run concurrently, each bounded; a check that throws or hangs
 * counts as failing with the reason as its detail.
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly checkTimeoutMs: number;
  private shuttingDown = false;

  constructor(options: ReadinessOptions = {}) {
    this.checkTimeoutMs = options.checkTimeoutMs ?? 2000;
  }

  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is registered twice`);
    this.checks.set(name, check);
  }

  /** From now on the service reports not ready; called first when shutting down. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async report(): Promise<ReadinessReport> {
    const names = [...this.checks.keys()];
    const results = await Promise.all(names.map((name) => this.runCheck(name)));
    const checks: Record<string, CheckResult> = {};
    names.forEach((name, index) => {
      checks[name] = results[index] as CheckResult;
    });
    if (this.shuttingDown) checks[shutdownCheckName] = { ok: false, detail: 'shutting down' };
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  }

  private async runCheck(name: string): Promise<CheckResult> {
    const check = this.checks.get(name) as ReadinessCheck;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: `no answer within ${this.checkTimeoutMs} ms` }),
        this.checkTimeoutMs,
      );
      timer.unref();
    });
    try {
      const result = await Promise.race([Promise.resolve().then(check), timeout]);
      return { ok: result.ok === true, detail: String(result.detail ?? '') };
    } catch (error) {
      return { ok: false, detail: errorMessage(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
