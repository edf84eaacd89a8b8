/**
 * What a detector reports: a typed span of the checked text. Offsets are UTF-16 code units of
 * the text as received (JavaScript string indices), end exclusive, which is what the proto's
 * `Finding.start`/`end` carry. Detectors read the normalised text (normalisation/), and the
 * scanner maps their spans back before anyone else sees them.
 *
 * Types are `pii.<entity>`, `secret.<kind>`, `injection.prompt` and `topic.*`; the part before
 * the first dot is the family a policy chooses an action for.
 */
export const FindingType = {
  email: 'pii.email',
  phone: 'pii.phone',
  paymentCard: 'pii.payment_card',
  iban: 'pii.iban',
  usSsn: 'pii.us_ssn',
  ipAddress: 'pii.ip_address',
  dateOfBirth: 'pii.date_of_birth',
  person: 'pii.person',
  awsAccessKey: 'secret.aws_access_key',
  gcpApiKey: 'secret.gcp_api_key',
  azureStorageKey: 'secret.azure_storage_key',
  azureClientSecret: 'secret.azure_client_secret',
  githubToken: 'secret.github_token',
  slackToken: 'secret.slack_token',
  slackWebhook: 'secret.slack_webhook',
  stripeKey: 'secret.stripe_key',
  openaiKey: 'secret.openai_key',
  anthropicKey: 'secret.anthropic_key',
  privateKey: 'secret.private_key',
  jwt: 'secret.jwt',
  highEntropy: 'secret.high_entropy',
  injection: 'injection.prompt',
  deniedTopic: 'topic.denied',
  escalatedTopic: 'topic.escalate',
} as const;

export type FindingType = (typeof FindingType)[keyof typeof FindingType];

/** Types a tenant's policy defines: pattern rules (`pii.employee_id`) and topics (`topic.matched`). */
export type TenantFindingType = `pii.${string}` | `secret.${string}` | `topic.${string}`;

/** Any type a finding can carry: built in, or defined by the tenant's policy. */
export type AnyFindingType = FindingType | TenantFindingType;

export type PiiFindingType = Extract<FindingType, `pii.${string}`>;
export type SecretFindingType = Extract<FindingType, `secret.${string}`>;
/** What the scanner reports and redaction replaces: personal data and secrets. */
export type ScannedFindingType = PiiFindingType | SecretFindingType;

/** The families a policy sets an action for. */
export type FindingFamily = 'pii' | 'secret' | 'injection' | 'topic';

export function familyOf(type: AnyFindingType): FindingFamily {
  return type.slice(0, type.indexOf('.')) as FindingFamily;
}

export interface Finding {
  type: AnyFindingType;
  start: number;
  end: number;
  /** Which rule matched, stable across releases so audits can be compared. */
  ruleId: string;
  confidence: number;
}

export interface ScannedFinding extends Finding {
  type: ScannedFindingType;
}

/** @deprecated the scanner reports secrets too; kept for the PII-only callers. */
export type PiiFinding = ScannedFinding;
