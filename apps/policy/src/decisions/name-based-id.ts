/**
 * Name-based UUIDs (RFC 9562 version 5): equal names give equal ids, so a redelivered or retried
 * request maps to the same review. The engine's, so that every process escalating a policy
 * decision names reviews with one piece of code.
 */
export { nameBasedUuid } from '@keel/policy-engine';
