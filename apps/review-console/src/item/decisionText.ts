import type { Decision, DecisionOutcome } from '../api/types';

export const OUTCOME_LABEL: Record<DecisionOutcome, string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  corrected: 'Corrected',
};

export function decidedAtText(decidedAt: string | number | null | undefined): string {
  if (decidedAt === null || decidedAt === undefined) return '';
  const date = new Date(decidedAt);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "Corrected by Alice Smith, 5 Dec 2026, 19:40". */
export function describeDecision(decision: Decision): string {
  const at = decidedAtText(decision.decidedAt);
  return `${OUTCOME_LABEL[decision.outcome] ?? decision.outcome} by ${decision.reviewer}${at ? `, ${at}` : ''}`;
}
