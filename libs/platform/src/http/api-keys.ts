import { createHash, timingSafeEqual } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';
import { ConfigError } from '../config/config-error.js';
import { internalError, unauthenticated } from '../errors/keel-error.js';

/** Who is calling: the tenant whose data the request may touch, and the caller's ACL groups. */
export interface Principal {
  tenantId: string;
  /** Who acts: the key's configured name, or a digest of the key when it has none. */
  subject: string;
  aclGroups: string[];
  /** The key's configured name (a person or a system); absent for unnamed keys. */
  name?: string;
  /** The id of a stored (issued, hashed) key, for per-key limits and usage; absent for static keys. */
  keyId?: string;
}

export interface ApiKeyResolver {
  /** The principal of a key, or null for an unknown key. */
  resolve(apiKey: string): Promise<Principal | null>;
}

export interface ApiKeyEntry {
  key: string;
  tenantId: string;
  /** The person or system the key belongs to; decisions and audits name it. */
  name?: string;
  aclGroups?: string[];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A name for a key that is safe to log and audit: a short prefix of its digest. */
export function apiKeyFingerprint(key: string): string {
  return `key-${sha256(key).toString('hex').slice(0, 12)}`;
}

/**
 * Resolves keys from a fixed list. Only sha-256 digests are kept, and every lookup compares the
 * digest with every entry in constant time, so neither timing nor a heap dump reveals a key.
 */
export function createStaticApiKeyResolver(entries: readonly ApiKeyEntry[]): ApiKeyResolver {
  const known = entries.map((entry) => ({
    digest: sha256(entry.key),
    principal: {
      tenantId: entry.tenantId,
      subject: entry.name ?? apiKeyFingerprint(entry.key),
      aclGroups: [...(entry.aclGroups ?? [])],
      ...(entry.name ? { name: entry.name } : {}),
    } satisfies Principal,
  }));
  return {
    async resolve(apiKey) {
      const digest = sha256(apiKey);
      let match: Principal | null = null;
      // No early exit: the time taken does not depend on which entry (if any) matches.
      for (const entry of known) {
        if (timingSafeEqual(entry.digest, digest) && match === null) match = entry.principal;
      }
      return match === null ? null : { ...match, aclGroups: [...match.aclGroups] };
    },
  };
}

/**
 * Asks each resolver in turn and answers with the first principal found, so a service can accept
 * its static `KEEL_API_KEYS` and keys issued at run time (stored hashed) side by side. A resolver
 * that fails (its store is down) fails the lookup: a key is never taken as unknown because a store
 * did not answer.
 */
export function chainApiKeyResolvers(...resolvers: readonly ApiKeyResolver[]): ApiKeyResolver {
  return {
    async resolve(apiKey) {
      for (const resolver of resolvers) {
        const principal = await resolver.resolve(apiKey);
        if (principal !== null) return principal;
      }
      return null;
    },
  };
}

const namePattern = /^[\w.@+ -]{1,64}$/;

/**
 * Parses `KEEL_API_KEYS`: comma-separated `key=tenant` entries, optionally with ACL groups after
 * a colon, separated by `|`, and the name of the key's owner after a second colon:
 * `key1=tenantA,key2=tenantB:groupX|groupY,key3=tenantB:groupX:alice,key4=tenantB::bob`.
 * Errors never repeat a key; they name the entry by position.
 */
export function parseApiKeysSpec(spec: string, variable = 'KEEL_API_KEYS'): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  spec
    .split(',')
    .map((item) => item.trim())
    .forEach((item, index) => {
      if (item.length === 0) return;
      const position = `entry ${index + 1}`;
      const equals = item.indexOf('=');
      if (equals <= 0) {
        problems.push(`${position}: expected key=tenant or key=tenant:group1|group2`);
        return;
      }
      const key = item.slice(0, equals).trim();
      const grant = item.slice(equals + 1);
      const [tenantPart = '', groupsPart = '', namePart, ...extra] = grant.split(':');
      const tenantId = tenantPart.trim();
      const name = namePart?.trim();
      if (key.length === 0 || !/^[\w.-]{1,128}$/.test(tenantId)) {
        problems.push(`${position}: expected key=tenant with a tenant id of letters, digits, '.', '_' or '-'`);
        return;
      }
      if (extra.length > 0 || (name !== undefined && name.length > 0 && !namePattern.test(name))) {
        problems.push(
          `${position}: expected key=tenant:groups:name with a name of at most 64 letters, digits, spaces or . _ @ + -`,
        );
        return;
      }
      if (seen.has(key)) {
        problems.push(`${position}: the key is listed twice`);
        return;
      }
      seen.add(key);
      const aclGroups = groupsPart
        .split('|')
        .map((group) => group.trim())
        .filter((group) => group.length > 0);
      entries.push({ key, tenantId, aclGroups, ...(name ? { name } : {}) });
    });
  if (problems.length > 0) {
    throw new ConfigError(problems.map((message) => ({ variable, message })));
  }
  return entries;
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Requires `Authorization: Bearer <key>`: a missing key is a 401 `AUTH.MISSING_API_KEY`, an
 * unknown one a 401 `AUTH.UNKNOWN_API_KEY`; a known key's principal is available to the route
 * through principalOf(res). The key itself is never logged nor put on spans.
 */
export function requireApiKey(resolver: ApiKeyResolver): RequestHandler {
  return (req, res, next) => {
    const key = bearerToken(req.get('authorization'));
    if (key === undefined) {
      next(unauthenticated('send an API key as "Authorization: Bearer <key>"', 'AUTH.MISSING_API_KEY'));
      return;
    }
    resolver.resolve(key).then(
      (principal) => {
        if (principal === null) {
          next(unauthenticated('the API key is not valid', 'AUTH.UNKNOWN_API_KEY'));
          return;
        }
        res.locals.principal = principal;
        const span = trace.getActiveSpan();
        span?.setAttribute('keel.tenant_id', principal.tenantId);
        span?.setAttribute('enduser.id', principal.subject);
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** The principal requireApiKey established for this request. */
export function principalOf(res: Response): Principal {
  const principal: unknown = res.locals.principal;
  if (typeof principal !== 'object' || principal === null) {
    throw internalError('principalOf() was called on a route that is not behind requireApiKey()');
  }
  return principal as Principal;
}

/** The tenant of `npm start`'s demo corpus and of the key in `KEEL_DEMO_API_KEY`. */
export const demoTenantId = 'demo';

/** The name decisions made with the demo key carry. */
export const demoKeyName = 'demo';

/**
 * Every service's key list: `KEEL_API_KEYS` plus, only when `KEEL_DEMO_API_KEY` is set, the demo
 * key for the demo tenant. There is no default key: `npm start` sets one for itself.
 */
export function apiKeyEntriesFrom(spec: string, demoKey?: string): ApiKeyEntry[] {
  const demo: ApiKeyEntry[] = demoKey ? [{ key: demoKey, tenantId: demoTenantId, name: demoKeyName }] : [];
  return [...parseApiKeysSpec(spec), ...demo];
}
