/**
 * A tenant's policy as stored: the policy document (either format of @keel/policy-engine: rules,
 * usually uploaded as YAML, or the JSON format with topics and per-family actions) plus the
 * bookkeeping. One document per tenant in `policies` (id = tenant id), every version also kept in
 * `policy_versions`, so an audited decision's `policy_version` can always be looked up.
 */
import {
  canonicalContent,
  isRulesPolicy,
  type PolicyDocument,
  policyContentSchema,
  rulesPolicySchema,
} from '@keel/policy-engine';

export type { FindingAction } from '@keel/policy-engine';
export {
  type FamilyActions,
  familyActionsSchema,
  findingActionSchema,
  type PiiAction,
  type PolicyContent,
  piiActionSchema,
  policyContentSchema,
  type TopicDefinition,
  topicSchema,
} from '@keel/policy-engine';

// A type alias (not an interface) so it satisfies the document store's open record type.
export type TenantPolicy = PolicyDocument & {
  /** The tenant id, which is also the document id. */
  id: string;
  version: number;
  /** Epoch milliseconds. */
  updatedAt: number;
  /** The YAML as the tenant uploaded it (comments included), when it came as YAML. */
  source?: string;
};

/** A tenant with no stored policy gets this: personal data redacted, no topic rules. */
export function defaultPolicyOf(tenantId: string): TenantPolicy {
  return { id: tenantId, version: 0, deniedTopics: [], escalateTopics: [], piiAction: 'redact', updatedAt: 0 };
}

/** The label decisions carry: `<tenant>@v<version>`, or `default` for the built-in policy. */
export function policyVersionLabel(policy: Pick<TenantPolicy, 'id' | 'version'>): string {
  return policy.version === 0 ? 'default' : `${policy.id}@v${policy.version}`;
}

export function formatOf(document: PolicyDocument): 'rules' | 'json' {
  return isRulesPolicy(document) ? 'rules' : 'json';
}

/**
 * The document of a stored policy, validated: a hand-edited record fails loudly (zod throws)
 * rather than half-applying.
 */
export function documentOf(stored: Record<string, unknown>): PolicyDocument {
  const { id: _id, version: _version, updatedAt: _updatedAt, source: _source, ...content } = stored;
  if ('rules' in content) {
    const { apiVersion, description, injectionClassifier, rules } = content;
    return rulesPolicySchema.parse(
      Object.fromEntries(
        Object.entries({ apiVersion, description, injectionClassifier, rules }).filter(([, v]) => v !== undefined),
      ),
    );
  }
  return policyContentSchema.parse(content);
}

/** Whether two documents say the same thing, so re-seeding an unchanged policy keeps its version. */
export function sameDocument(a: PolicyDocument, b: PolicyDocument): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(document: PolicyDocument): unknown {
  return isRulesPolicy(document) ? { format: 'rules', ...document } : canonicalContent(document);
}
