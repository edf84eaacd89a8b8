/**
 * The reviewer's workbench: one item, its sources and what policy and evaluation said of it beside
 * the answer, the rubric, comments, and the actions. The item, its context and its comments are
 * requested at once (no waterfall); an item handed over by "Claim next" needs no request at all.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import type {
  Decision,
  DecisionInput,
  DecisionOutcome,
  ItemContext,
  Queue,
  ReviewComment,
  ReviewItem,
  RubricAnswers,
} from '../api/types';
import { handedItem, type ItemLocationState, useClaimNext } from '../home/claim';
import { cachedQueue, rememberQueues } from '../home/queueCache';
import { useSession } from '../session/SessionContext';
import { useShortcuts } from '../shortcuts/useShortcuts';
import { useAnnounce } from '../ui/Status';
import { AnswerView } from './AnswerView';
import { Comments } from './Comments';
import { ConflictAlert } from './ConflictAlert';
import { ContextPanel } from './ContextPanel';
import { CorrectionEditor } from './CorrectionEditor';
import { markersOf } from './citations';
import { describeDecision, OUTCOME_LABEL } from './decisionText';
import { ItemHeader } from './ItemHeader';
import { LineagePanel } from './LineagePanel';
import { HeldElsewhereError, isClaimedElsewhere, reclaim, withLease } from './leaseRecovery';
import { takePreloaded } from './preload';
import { RubricForm, rubricToSend } from './RubricForm';
import { SkipDialog } from './SkipDialog';
import { SourcesPanel } from './SourcesPanel';
import { leaseMsOf, useLease } from './useLease';

const ESCAPE = 'Escape';

const failureText = (failure: unknown, fallback: string) =>
  failure instanceof ApiError ? failure.message : failure instanceof Error ? failure.message : fallback;

/** The decision a 409 carries: `decision` of the problem, or the detail when a server puts it there. */
function conflictDecision(error: ApiError): Decision | null {
  if (error.problem.decision) return error.problem.decision;
  const detail = error.problem.detail;
  return detail && typeof detail === 'object' && 'outcome' in detail ? (detail as Decision) : null;
}

function fieldErrorsOf(error: ApiError): Record<string, string> {
  return Object.fromEntries((error.problem.errors ?? []).map((entry) => [entry.field, entry.message]));
}

export function ItemPage({ id }: { id: string }) {
  const { api, account } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const announce = useAnnounce();
  const handed = location.state as ItemLocationState | null;
  const scope = handed?.scope ?? {};
  const [initial] = useState(() => handedItem(handed, id));

  const [item, setItem] = useState<ReviewItem | null>(initial ?? null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [context, setContext] = useState<ItemContext | null>(null);
  const [contextError, setContextError] = useState<string | null>(null);
  const [comments, setComments] = useState<ReviewComment[] | null>(null);
  const [queue, setQueue] = useState<Queue | null>(null);

  const mineNow = (candidate: ReviewItem | null | undefined) =>
    candidate?.status === 'claimed' && !!account && candidate.claimedBy === account.displayName;
  const [held, setHeld] = useState(() => mineNow(initial));
  const heldRef = useRef(held);
  const [leaseMs, setLeaseMs] = useState(() => (initial ? leaseMsOf(initial) : 0));

  const [selected, setSelected] = useState<number | null>(null);
  const [correcting, setCorrecting] = useState(false);
  const [correction, setCorrection] = useState(initial?.answer ?? '');
  const [rubric, setRubric] = useState<RubricAnswers>({});
  const [comment, setComment] = useState('');
  const [skipping, setSkipping] = useState(false);
  const [skipError, setSkipError] = useState<string | null>(null);
  const [lineageOpen, setLineageOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [conflict, setConflict] = useState<{ decision: Decision | null; message: string } | null>(null);
  const { claimNext, busy: claiming, error: claimError } = useClaimNext();
  const commentBox = useRef<HTMLTextAreaElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const hold = useCallback((value: boolean) => {
    heldRef.current = value;
    setHeld(value);
  }, []);

  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  /** A lease taken again after it was lost (see leaseRecovery.ts). */
  const adopt = (claimed: ReviewItem) => {
    if (!mounted.current) {
      // The reviewer left while the claim was on its way: nobody would release it.
      api.release(id).catch(() => undefined);
      return;
    }
    setItem(claimed);
    setLeaseMs(leaseMsOf(claimed));
    hold(true);
  };

  /** Someone else holds the item: say who, and keep whatever the reviewer typed where it is. */
  const showHeldElsewhere = (error: HeldElsewhereError, consequence: string) => {
    hold(false);
    if (error.item) setItem(error.item);
    const kept = correcting ? ' Your correction stays in the editor.' : '';
    setActionError(`${error.message} ${consequence}${kept}`);
    announce(error.message);
  };

  // Everything at once: the item (unless handed over), its context and its comments. Once per item:
  // the page is keyed by id, and a handed-over item is only the first render's.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per item id, see above
  useEffect(() => {
    let live = true;
    // Opened by its URL: main.tsx may have started these reads with the session check.
    const preloaded = takePreloaded(api, id);
    if (!initial) {
      (preloaded?.item ?? api.getReview(id))
        .then((loaded) => {
          if (!live) return;
          setItem(loaded);
          setCorrection(loaded.answer);
          const mine = mineNow(loaded);
          if (mine) setLeaseMs(leaseMsOf(loaded));
          hold(mine);
        })
        .catch((failure: unknown) => {
          if (!live) return;
          setLoadError(
            failure instanceof ApiError && failure.status === 404
              ? 'This item does not exist or you may not read it.'
              : failureText(failure, 'The item could not be loaded.'),
          );
        });
    }
    (preloaded?.context ?? api.context(id))
      .then((value) => live && setContext(value))
      .catch((failure: unknown) => live && setContextError(failureText(failure, 'The context could not be loaded.')));
    (preloaded?.comments ?? api.listComments(id))
      .then((value) => live && setComments(value.items))
      .catch(() => live && setComments([]));
    return () => {
      live = false;
    };
  }, [api, id]);

  // The queue's rubric: from the home screen's list when it has it.
  const queueId = item?.queueId;
  useEffect(() => {
    if (!queueId) return;
    const known = cachedQueue(api, queueId);
    if (known) {
      setQueue(known);
      return;
    }
    let live = true;
    api
      .getQueue(queueId)
      .then((loaded) => {
        rememberQueues(api, [loaded]);
        if (live) setQueue(loaded);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api, queueId]);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  useLease({
    itemId: id,
    held,
    heldRef,
    leaseMs: leaseMs || 300_000,
    onLost: (error) => {
      hold(false);
      const ended = (reason: string) => {
        setActionError(`Your lease on this item has ended: ${reason}`);
        announce('Your lease on this item has ended.');
      };
      if (!isClaimedElsewhere(error)) {
        ended(error.message);
        return;
      }
      // Released behind the page's back (a reload's keepalive release): take it again if nobody has.
      reclaim(api, id).then(adopt, (failure: unknown) => {
        if (!mounted.current) return;
        if (failure instanceof HeldElsewhereError) showHeldElsewhere(failure, 'Your lease on it has ended.');
        else ended(failureText(failure, error.message));
      });
    },
  });

  const markers = item ? markersOf(item.answer) : [];
  const moveCitation = (step: 1 | -1) => {
    if (markers.length === 0) return;
    const at = selected === null ? -1 : markers.indexOf(selected);
    const next = at < 0 ? (step === 1 ? 0 : markers.length - 1) : (at + step + markers.length) % markers.length;
    const marker = markers[next] ?? null;
    setSelected(marker);
    if (marker !== null) announce(`Citation ${marker}`);
  };

  async function claimThis() {
    setBusy(true);
    setActionError(null);
    try {
      const claimed = await api.claim(id);
      setItem(claimed);
      setLeaseMs(leaseMsOf(claimed));
      hold(true);
      announce('Claimed.');
    } catch (failure) {
      setActionError(failureText(failure, 'The item could not be claimed.'));
    } finally {
      setBusy(false);
    }
  }

  async function decide(outcome: DecisionOutcome) {
    if (!item || !held || busy) return;
    setBusy(true);
    setActionError(null);
    setFieldErrors({});
    const body: DecisionInput = { outcome };
    if (outcome === 'corrected') body.correctedAnswer = correction;
    const answers = rubricToSend(rubric);
    if (answers) body.rubric = answers;
    if (comment.trim()) body.comment = comment;
    try {
      await withLease(api, item.id, () => api.decide(item.id, body), adopt);
      hold(false);
      announce(`${OUTCOME_LABEL[outcome]}. Claiming the next item…`);
      await claimNext(scope, { replace: true });
    } catch (failure) {
      if (failure instanceof HeldElsewhereError) {
        showHeldElsewhere(failure, 'Your decision was not sent.');
      } else if (failure instanceof ApiError && failure.code === 'REVIEW.ALREADY_DECIDED') {
        // Someone else's decision stands; the reviewer's own text stays where it is.
        hold(false);
        setConflict({ decision: conflictDecision(failure), message: failure.message });
        announce('This item was already decided.');
      } else if (failure instanceof ApiError && failure.status === 400) {
        setFieldErrors(fieldErrorsOf(failure));
        setActionError(`The decision was not accepted: ${failure.message}`);
      } else if (failure instanceof ApiError && failure.status === 409) {
        hold(false);
        setActionError(`The decision was not accepted: ${failure.message}`);
      } else {
        setActionError(failureText(failure, 'The decision could not be sent. Try again.'));
      }
    } finally {
      setBusy(false);
    }
  }

  async function skip(reason: string) {
    if (!item) return;
    setBusy(true);
    setSkipError(null);
    try {
      await withLease(api, item.id, () => api.skip(item.id, reason), adopt);
      hold(false);
      setSkipping(false);
      announce('Skipped. Claiming the next item…');
      await claimNext(scope, { replace: true });
    } catch (failure) {
      if (failure instanceof HeldElsewhereError) {
        setSkipping(false);
        showHeldElsewhere(failure, 'Your skip was not sent.');
        return;
      }
      setSkipError(failureText(failure, 'The item could not be skipped.'));
    } finally {
      setBusy(false);
    }
  }

  async function release() {
    if (!item || !held) return;
    setBusy(true);
    setActionError(null);
    try {
      await withLease(api, item.id, () => api.release(item.id), adopt);
      hold(false);
      announce('Released: the item is back in its queue.');
      navigate('/');
    } catch (failure) {
      if (failure instanceof HeldElsewhereError) {
        showHeldElsewhere(failure, 'Your release was not sent.');
        return;
      }
      setActionError(failureText(failure, 'The item could not be released.'));
    } finally {
      setBusy(false);
    }
  }

  const canAct = held && !busy && !!item;
  useShortcuts(
    {
      a: () => canAct && !correcting && void decide('approved'),
      r: () => canAct && !correcting && void decide('rejected'),
      c: () => canAct && setCorrecting(true),
      s: () => canAct && setSkipping(true),
      e: () => canAct && void release(),
      n: () => {
        if (held) announce('Decide, skip or release this item first.');
        else void claimNext(scope);
      },
      j: () => moveCitation(1),
      ']': () => moveCitation(1),
      k: () => moveCitation(-1),
      '[': () => moveCitation(-1),
      l: () => setLineageOpen((open) => !open),
      m: () => commentBox.current?.focus(),
      [ESCAPE]: () => {
        if (lineageOpen) setLineageOpen(false);
        else if (correcting) setCorrecting(false);
        else if (selected !== null) setSelected(null);
      },
    },
    !!item,
  );

  if (loadError) {
    return (
      <div className="item-page">
        <h1 ref={heading} tabIndex={-1}>
          Item {id}
        </h1>
        <p role="alert" className="alert">
          {loadError}
        </p>
        <Link to="/">Back to the queues</Link>
      </div>
    );
  }
  if (!item) {
    return (
      <div className="item-page" aria-busy="true">
        <h1 ref={heading} tabIndex={-1}>
          Loading item…
        </h1>
      </div>
    );
  }

  const decided = item.status === 'decided';
  const holder = item.status === 'claimed' && !held ? item.claimedBy : null;

  return (
    <div className="item-page">
      <ItemHeader
        item={item}
        queueName={queue?.name}
        headingRef={heading}
        lineageOpen={lineageOpen}
        onToggleLineage={() => setLineageOpen((open) => !open)}
      />
      {conflict ? (
        <ConflictAlert
          decision={conflict.decision}
          message={conflict.message}
          byYou={!!account && conflict.decision?.reviewer === account.displayName}
        />
      ) : null}
      {actionError ? (
        <p role="alert" className="alert">
          {actionError}
        </p>
      ) : null}
      {claimError ? (
        <p role="alert" className="alert">
          {claimError}
        </p>
      ) : null}
      {decided && item.decision && !conflict ? (
        <p className="notice">Decided: {describeDecision(item.decision)}.</p>
      ) : null}
      {holder ? <p className="notice">{holder} is working on this item.</p> : null}
      {item.missing && item.missing.length > 0 ? (
        <p className="notice">The {item.missing.join(' and ')} of this exchange has not arrived yet.</p>
      ) : null}
      {item.detail ? <p className="muted detail">{item.detail}</p> : null}

      <div className="workbench">
        <div className="column main-column">
          <section aria-labelledby="question-title" className="card">
            <h2 id="question-title">Question</h2>
            <p className="question-text">{item.question || <span className="muted">No question.</span>}</p>
          </section>
          <section aria-labelledby="answer-title" className="card">
            <h2 id="answer-title">Answer</h2>
            {item.answer ? (
              <AnswerView answer={item.answer} citations={item.citations} selected={selected} onSelect={setSelected} />
            ) : (
              <p className="muted">No answer.</p>
            )}
            {markers.length > 0 ? (
              <p className="muted small">
                {markers.length} citation{markers.length === 1 ? '' : 's'}: <kbd>j</kbd>/<kbd>k</kbd> move between them.
              </p>
            ) : null}
          </section>

          {correcting ? (
            <CorrectionEditor
              original={item.answer}
              value={correction}
              onChange={setCorrection}
              onSubmit={() => void decide('corrected')}
              onCancel={() => setCorrecting(false)}
              busy={busy || !held}
            />
          ) : null}

          <section aria-label="Actions" className="card actions-bar">
            {!held && !decided && !holder ? (
              <button type="button" onClick={() => void claimThis()} disabled={busy}>
                Claim this item
              </button>
            ) : null}
            <button
              type="button"
              className="approve"
              disabled={!canAct || correcting}
              onClick={() => void decide('approved')}
              aria-keyshortcuts="a"
            >
              Approve
            </button>
            <button
              type="button"
              className="reject"
              disabled={!canAct || correcting}
              onClick={() => void decide('rejected')}
              aria-keyshortcuts="r"
            >
              Reject
            </button>
            <button
              type="button"
              disabled={!canAct}
              onClick={() => setCorrecting(true)}
              aria-keyshortcuts="c"
              aria-pressed={correcting}
            >
              Correct
            </button>
            <button type="button" disabled={!canAct} onClick={() => setSkipping(true)} aria-keyshortcuts="s">
              Skip
            </button>
            <button type="button" disabled={!canAct} onClick={() => void release()} aria-keyshortcuts="e">
              Release
            </button>
            {!held ? (
              <button
                type="button"
                className="primary"
                disabled={claiming}
                onClick={() => void claimNext(scope)}
                aria-keyshortcuts="n"
              >
                Claim next
              </button>
            ) : null}
          </section>

          <RubricForm
            rubric={queue?.rubric ?? null}
            value={rubric}
            onChange={setRubric}
            comment={comment}
            onCommentChange={setComment}
            errors={fieldErrors}
          />
          <Comments
            ref={commentBox}
            itemId={item.id}
            comments={comments}
            onAdded={(added) => setComments((list) => [...(list ?? []), added])}
          />
        </div>
        <div className="column side-column">
          <SourcesPanel citations={item.citations} contexts={item.contexts} selected={selected} />
          <ContextPanel context={context} error={contextError} question={item.question} answer={item.answer} />
          {lineageOpen ? (
            <div id="lineage-panel">
              <LineagePanel itemId={item.id} onClose={() => setLineageOpen(false)} />
            </div>
          ) : null}
          {item.decisions && item.decisions.length > 0 ? (
            <section aria-labelledby="decisions-title" className="card">
              <h2 id="decisions-title">Decisions</h2>
              <ul>
                {item.decisions.map((decision) => (
                  <li key={`${decision.reviewer}-${decision.decidedAt}`}>{describeDecision(decision)}</li>
                ))}
              </ul>
            </section>
          ) : null}
        </div>
      </div>
      {skipping ? (
        <SkipDialog
          busy={busy}
          error={skipError}
          onSkip={(reason) => void skip(reason)}
          onClose={() => setSkipping(false)}
        />
      ) : null}
    </div>
  );
}
