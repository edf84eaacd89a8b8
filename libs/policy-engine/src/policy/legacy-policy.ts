/**
 * The JSON policy format Keel started with (and the seed file still uses): denied and escalation
 * topics, and an action per finding family. It compiles to the same rules as a YAML policy
 * (legacy-rules.ts), so both formats decide alike.
 */
import { z } from 'zod';

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

/** What an operator writes in the JSON format: everything but the bookkeeping. */
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

/** Whether two contents say the same thing, so re-seeding an unchanged policy keeps its version. */
export function sameContent(a: PolicyContent, b: PolicyContent): boolean {
  return JSON.stringify(canonicalContent(a)) === JSON.stringify(canonicalContent(b));
}

export function canonicalContent(content: PolicyContent): PolicyContent {
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
