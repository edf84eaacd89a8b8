/**
 * A tenant's policy: the topics it refuses, the topics a person should look at, and what
 * happens to personal data. Stored as versioned documents in the `policies` collection (one
 * per tenant, id = tenant id) with every version kept in `policy_versions`, so an audited
 * decision's `policy_version` can always be looked up.
 */
import { z } from '@keel/platform';

export const topicSchema = z.object({
  name: z.string().trim().min(1).max(100),
  phrases: z.array(z.string().trim().min(1).max(200)).min(1).max(500),
});

export const piiActionSchema = z.enum(['redact', 'block']);

/**
 * What happens to a family of findings: `allow` reports them only, `redact` replaces them with a
 * typed placeholder, `block` refuses the text, `escalate` sends it to a person with the rest
 * redacted (input and output only: at ingestion there is no answer to review, so a document
 * under `escalate` is blocked).
 */
export const findingActionSchema = z.enum(['allow', 'redact', 'block', 'escalate']);

/** Per family; unset families take the defaults (`pii`: `piiAction`, `secret`: redact, `injection`: block). */
export const familyActionsSchema = z
  .object({
    pii: findingActionSchema.optional(),
    secret: findingActionSchema.optional(),
    injection: findingActionSchema.optional(),
  })
  .strict();

/** What an operator writes: everything but the bookkeeping. */
export const policyContentSchema = z.object({
  deniedTopics: z.array(topicSchema).max(200).default([]),
  escalateTopics: z.array(topicSchema).max(200).default([]),
  piiAction: piiActionSchema.default('redact'),
  actions: familyActionsSchema.optional(),
  /**
   * Adds the trained classifier to the injection heuristics: CyberSecEval recall 0.10 → 0.25, but
   * NotInject false positives 0.021 → 0.062, above the 0.05 a default may cost; off unless chosen.
   */
  injectionClassifier: z.boolean().optional(),
});

export type TopicDefinition = z.infer<typeof topicSchema>;
export type PiiAction = z.infer<typeof piiActionSchema>;
export type FindingAction = z.infer<typeof findingActionSchema>;
export type FamilyActions = z.infer<typeof familyActionsSchema>;
export type PolicyContent = z.infer<typeof policyContentSchema>;

// A type alias (not an interface) so it satisfies the document store's open record type.
export type TenantPolicy = PolicyContent & {
  /** The tenant id, which is also the document id. */
  id: string;
  version: number;
  /** Epoch milliseconds. */
  updatedAt: number;
};

/** A tenant with no stored policy gets this: personal data redacted, no topic rules. */
export function defaultPolicyOf(tenantId: string): TenantPolicy {
  return { id: tenantId, version: 0, deniedTopics: [], escalateTopics: [], piiAction: 'redact', updatedAt: 0 };
}

/** The label decisions carry: `<tenant>@v<version>`, or `default` for the built-in policy. */
export function policyVersionLabel(policy: TenantPolicy): string {
  return policy.version === 0 ? 'default' : `${policy.id}@v${policy.version}`;
}

/** Whether two contents say the same thing, so re-seeding an unchanged policy keeps its version. */
export function sameContent(a: PolicyContent, b: PolicyContent): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(content: PolicyContent): PolicyContent {
  return {
    deniedTopics: content.deniedTopics.map(({ name, phrases }) => ({ name, phrases: [...phrases] })),
    escalateTopics: content.escalateTopics.map(({ name, phrases }) => ({ name, phrases: [...phrases] })),
    piiAction: content.piiAction,
    ...(content.actions && Object.values(content.actions).some((action) => action !== undefined)
      ? {
          actions: {
            ...(content.actions.pii ? { pii: content.actions.pii } : {}),
            ...(content.actions.secret ? { secret: content.actions.secret } : {}),
            ...(content.actions.injection ? { injection: content.actions.injection } : {}),
          },
        }
      : {}),
    ...(content.injectionClassifier ? { injectionClassifier: true } : {}),
  };
}
