import type { Decision } from '../api/types';
import { describeDecision } from './decisionText';

interface Props {
  decision: Decision | null;
  message: string;
  /** The reviewer's own earlier decision (an item several reviewers decide), not someone else's. */
  byYou: boolean;
}

/** A 409: a decision already stands. Shown whole, so the reviewer knows what happened to the item. */
export function ConflictAlert({ decision, message, byYou }: Props) {
  return (
    <div role="alert" className="alert conflict">
      <strong>{byYou ? 'You have already decided this item.' : 'Someone else decided this item first.'}</strong>
      {decision ? (
        <>
          <p>{describeDecision(decision)}.</p>
          {decision.correctedAnswer ? (
            <blockquote className="their-answer">{decision.correctedAnswer}</blockquote>
          ) : null}
          {decision.comment ? <p>Comment: {decision.comment}</p> : null}
        </>
      ) : (
        <p>{message}</p>
      )}
      <p className="small">Your own text is kept below; copy it into a comment if it still matters.</p>
    </div>
  );
}
