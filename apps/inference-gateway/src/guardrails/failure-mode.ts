/**
 * What a tenant's requests do when no policy decision can be had (the policy service is
 * unreachable, or no policy is loaded for the tenant): `closed` refuses them (503), `open` lets
 * them through unchecked and says so in the response and the completion event. Configured by
 * `KEEL_POLICY_FAILURE_MODE`: a default and per-tenant overrides, `closed,acme=open,beta=closed`
 * (`default=closed` may name the default; unset: `closed`).
 */

export type FailureMode = 'closed' | 'open';

export interface FailureModes {
  defaultMode: FailureMode;
  /** Per-tenant overrides of the default. */
  tenants: ReadonlyMap<string, FailureMode>;
}

export const defaultFailureModes: FailureModes = { defaultMode: 'closed', tenants: new Map() };

const modes = new Set<string>(['closed', 'open']);
const tenantPattern = /^[\w.:-]{1,512}$/;

/** Parses the variable's value; throws an Error naming the entry that is wrong. */
export function parseFailureModes(value: string | undefined): FailureModes {
  if (value === undefined || value.trim() === '') return defaultFailureModes;
  let defaultMode: FailureMode | undefined;
  const tenants = new Map<string, FailureMode>();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [name, mode, ...rest] = entry.split('=').map((part) => part.trim());
    const single = mode === undefined;
    const modeText = single ? name : mode;
    if (rest.length > 0 || !modeText || !modes.has(modeText)) {
      throw new Error(`"${entry}": expected closed, open, default=<mode> or <tenant>=<mode> (mode closed or open)`);
    }
    if (single || name === 'default') {
      if (defaultMode !== undefined) throw new Error(`"${entry}": the default is given twice`);
      defaultMode = modeText as FailureMode;
      continue;
    }
    if (!name || !tenantPattern.test(name)) throw new Error(`"${entry}": not a tenant id`);
    if (tenants.has(name)) throw new Error(`"${entry}": tenant ${name} is given twice`);
    tenants.set(name, modeText as FailureMode);
  }
  return { defaultMode: defaultMode ?? 'closed', tenants };
}

export function failureModeOf(modes: FailureModes, tenantId: string): FailureMode {
  return modes.tenants.get(tenantId) ?? modes.defaultMode;
}
