import type { ContextScore, ItemContext, PolicyFinding } from '../api/types';
import { cut } from './citations';

const EXCERPT_CHARS = 60;

/** The finding's span inside the text of its stage, with some words around it. */
function FindingSpan({ finding, question, answer }: { finding: PolicyFinding; question: string; answer: string }) {
  const text = finding.stage === 'input' ? question : finding.stage === 'output' ? answer : '';
  const { start, end } = finding;
  if (!text || start === null || end === null || end <= start || start >= text.length) return null;
  const [before, span, after] = cut(text, start, end);
  const lead = before.length > EXCERPT_CHARS ? `…${before.slice(-EXCERPT_CHARS)}` : before;
  const tail = after.length > EXCERPT_CHARS ? `${after.slice(0, EXCERPT_CHARS)}…` : after;
  return (
    <q className="excerpt">
      {lead}
      <mark className="finding-span">{span}</mark>
      {tail}
    </q>
  );
}

const stageName = (stage: string) =>
  stage === 'input' ? 'question' : stage === 'output' ? 'answer' : stage === 'document' ? 'passages' : stage;

function formatScore(score: ContextScore): string {
  const value = Number.isInteger(score.value) ? String(score.value) : score.value.toFixed(2);
  return score.unit && score.unit !== 'ratio' && score.unit !== 'score' ? `${value} ${score.unit}` : value;
}

interface Props {
  context: ItemContext | null;
  error: string | null;
  question: string;
  answer: string;
}

/** What policy and evaluation said of the answer, beside it. */
export function ContextPanel({ context, error, question, answer }: Props) {
  const decisions = context?.decisions ?? [];
  return (
    <>
      <section aria-labelledby="findings-title" className="card">
        <h2 id="findings-title">
          Policy findings
          {context?.policyVersion ? <span className="muted small"> · policy {context.policyVersion}</span> : null}
        </h2>
        {error ? <p className="notice">{error}</p> : null}
        {!context && !error ? <p aria-busy="true">Loading…</p> : null}
        {context && context.findings.length === 0 ? <p className="muted">No policy findings.</p> : null}
        {context && context.findings.length > 0 ? (
          <ul className="findings">
            {context.findings.map((finding) => (
              <li key={`${finding.stage}-${finding.type}-${finding.start}-${finding.end}-${finding.rule ?? ''}`}>
                <span className={`tag action-${finding.action.toLowerCase()}`}>{finding.action}</span>{' '}
                <strong>{finding.type}</strong> <span className="muted">in the {stageName(finding.stage)}</span>
                {finding.rule ? <span className="muted small"> · rule {finding.rule}</span> : null}
                <div>
                  <FindingSpan finding={finding} question={question} answer={answer} />
                </div>
              </li>
            ))}
          </ul>
        ) : null}
        {decisions.length > 0 ? (
          <>
            <h3>Decisions</h3>
            <ul className="findings">
              {decisions.map((decision) => (
                <li key={decision.decisionId}>
                  <span className={`tag action-${decision.decision.toLowerCase()}`}>{decision.decision}</span>{' '}
                  <span className="muted">on the {stageName(decision.stage)}</span>
                  {decision.reason ? <span> · {decision.reason}</span> : null}
                  {decision.rulesFired.length > 0 ? (
                    <span className="muted small"> · rules {decision.rulesFired.join(', ')}</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <section aria-labelledby="scores-title" className="card">
        <h2 id="scores-title">
          Evaluation
          {context?.evaluatorVersion ? <span className="muted small"> · {context.evaluatorVersion}</span> : null}
        </h2>
        {context && context.scores.length === 0 && context.verdicts.length === 0 ? (
          <p className="muted">No evaluation has arrived for this answer yet.</p>
        ) : null}
        {context && context.scores.length > 0 ? (
          <table className="scores">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col" className="num">
                  Threshold
                </th>
              </tr>
            </thead>
            <tbody>
              {context.scores.map((score) => {
                const below = typeof score.threshold === 'number' && score.value < score.threshold;
                return (
                  <tr key={score.name} className={below ? 'below' : undefined}>
                    <th scope="row">
                      {score.name}
                      {score.explanation ? <div className="muted small">{score.explanation}</div> : null}
                    </th>
                    <td className="num">
                      {formatScore(score)}
                      {below ? <span className="visually-hidden"> (below threshold)</span> : null}
                    </td>
                    <td className="num">{typeof score.threshold === 'number' ? score.threshold.toFixed(2) : '–'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
        {context && context.verdicts.length > 0 ? (
          <>
            <h3>Claims</h3>
            <ul className="verdicts">
              {context.verdicts.map((verdict) => (
                <li
                  key={`${verdict.claim}-${verdict.citedChunkIds.join(',')}`}
                  className={verdict.supported ? 'supported' : 'unsupported'}
                >
                  <span className="tag">{verdict.supported ? 'Supported' : 'Unsupported'}</span> {verdict.claim}
                  {verdict.citedChunkIds.length > 0 ? (
                    <span className="muted small"> · {verdict.citedChunkIds.join(', ')}</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </>
  );
}
