/**
 * What a detector reports: a typed span of the checked text. Offsets are UTF-16 code units of
 * the text as received (JavaScript string indices), end exclusive, which is what the proto's
 * `Finding.start`/`end` carry.
 */
export const FindingType = {
  email: 'pii.email',
  phone: 'pii.phone',
  paymentCard: 'pii.payment_card',
  deniedTopic: 'topic.denied',
  escalatedTopic: 'topic.escalate',
} as const;

export type FindingType = (typeof FindingType)[keyof typeof FindingType];

export type PiiFindingType = typeof FindingType.email | typeof FindingType.phone | typeof FindingType.paymentCard;

export interface Finding {
  type: FindingType;
  start: number;
  end: number;
  /** Which rule matched, stable across releases so audits can be compared. */
  ruleId: string;
  confidence: number;
}

export interface PiiFinding extends Finding {
  type: PiiFindingType;
}
