import type { InternalAuthConfig } from '../config/access-env.js';

/** The shared secret tests give every service and client (never used outside tests). */
export const testInternalToken = 'test-internal-token-0123456789abcdef';

export const testInternalAuth: InternalAuthConfig = { token: testInternalToken };

/** The environment entries a service under test needs for internal gRPC. */
export const testInternalAuthEnv = { KEEL_INTERNAL_TOKEN: testInternalToken } as const;
