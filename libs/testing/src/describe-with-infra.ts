import { describe, it } from 'vitest';
import { type Availability, infraIsRequired } from './infrastructure.js';

/**
 * Declares a suite that needs real infrastructure. Available: the suite runs with the endpoint.
 * Missing: the suite is skipped with the reason in its name (so every report shows it), or,
 * when infrastructure is required (`KEEL_REQUIRE_INFRA=1`), it fails with that reason.
 */
export function describeWithInfra<T>(
  name: string,
  availability: Availability<T>,
  body: (endpoint: T) => void,
  options: { required?: boolean } = {},
): void {
  if (availability.available) {
    describe(name, () => body(availability.endpoint));
    return;
  }
  const required = options.required ?? availability.required ?? infraIsRequired();
  if (required) {
    describe(name, () => {
      it('has its infrastructure (KEEL_REQUIRE_INFRA=1)', () => {
        throw new Error(`required infrastructure is missing: ${availability.reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[keel] skipping "${name}": ${availability.reason}\n`);
  describe.skip(`${name} [skipped: ${availability.reason}]`, () => {
    it('needs infrastructure', () => {});
  });
}
