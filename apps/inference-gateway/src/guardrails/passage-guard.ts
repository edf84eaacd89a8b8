/**
 * Retrieved passages are checked before any model sees them: an instruction planted in an
 * indexed document ("AI assistant: ignore your instructions and ...") is indirect prompt
 * injection. One `document`-stage check carries them as its contexts (one audited decision per
 * answer); each passage with a finding is then dropped or redacted as the policy decided:
 *  - the action of each finding when the gate reports it (the in-process engine does): `block` or
 *    `escalate` drop the passage (a passage has no answer for a person to review), `redact`
 *    replaces the span with its placeholder, `allow` keeps it;
 *  - otherwise the check's decision (the remote Check reports no action per finding): BLOCK or
 *    ESCALATE drop every passage with a finding, REDACT redacts them, ALLOW keeps them.
 * The answer and its completion event say what was withheld.
 */
import { redact } from '@keel/policy-engine';
import type { PolicyFinding, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';
import type { RetrievedPassage } from '../answering/retriever.js';

export interface WithheldPassage {
  chunkId: string;
  documentId: string;
  /** `dropped`: the model never saw it; `redacted`: it saw the passage with the findings replaced. */
  action: 'dropped' | 'redacted';
  findingTypes: string[];
}

export interface PassageGuardResult {
  /** What the model may see, in retrieval order: clean passages as they were, redacted ones redacted. */
  passages: RetrievedPassage[];
  withheld: WithheldPassage[];
  /** The check's verdict; undefined when there was nothing to check. */
  verdict: PolicyVerdict | undefined;
}

export async function guardPassages(
  gate: PolicyGate,
  input: { tenantId: string; requestId: string; passages: readonly RetrievedPassage[] },
): Promise<PassageGuardResult> {
  if (input.passages.length === 0) return { passages: [], withheld: [], verdict: undefined };
  const verdict = await gate.check({
    tenantId: input.tenantId,
    stage: 'document',
    text: '',
    contexts: input.passages.map((passage) => passage.text),
    requestId: input.requestId,
    // The passages' own groups decide who reads what is derived from them; nothing is reviewed here.
    readRequires: [],
  });
  const byPassage = new Map<number, PolicyFinding[]>();
  for (const finding of verdict.findings ?? []) {
    if (finding.context === undefined) continue;
    byPassage.set(finding.context, [...(byPassage.get(finding.context) ?? []), finding]);
  }
  const kept: RetrievedPassage[] = [];
  const withheld: WithheldPassage[] = [];
  input.passages.forEach((passage, index) => {
    const findings = byPassage.get(index) ?? [];
    const actions = findings.map((finding) => finding.action ?? actionOfDecision(verdict.decision));
    const findingTypes = [...new Set(findings.map((finding) => finding.type))];
    const withheldAs = (action: WithheldPassage['action']) =>
      withheld.push({ chunkId: passage.chunkId, documentId: passage.documentId, action, findingTypes });
    if (actions.some((action) => action === 'block' || action === 'escalate')) {
      withheldAs('dropped');
      return;
    }
    const toRedact = findings.filter((_, at) => actions[at] === 'redact');
    if (toRedact.length === 0) {
      kept.push(passage);
      return;
    }
    withheldAs('redacted');
    kept.push({ ...passage, text: redactSpans(passage.text, toRedact) });
  });
  return { passages: kept, withheld, verdict };
}

function actionOfDecision(decision: PolicyVerdict['decision']): NonNullable<PolicyFinding['action']> {
  if (decision === 'BLOCK' || decision === 'ESCALATE') return 'block';
  return decision === 'REDACT' ? 'redact' : 'allow';
}

/** Replaces each span with the policy engine's typed placeholder; overlapping spans as one, labelled by the first. */
export function redactSpans(text: string, findings: readonly Pick<PolicyFinding, 'type' | 'start' | 'end'>[]): string {
  return redact(text, findings);
}
