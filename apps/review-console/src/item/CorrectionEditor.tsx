import { useDeferredValue, useEffect, useId, useMemo, useRef } from 'react';
import { changeCount, wordDiff } from './wordDiff';

interface Props {
  original: string;
  value: string;
  onChange: (value: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
  busy: boolean;
}

/** The correction: the answer to edit, a live word diff against the original, and the submit button. */
export function CorrectionEditor({ original, value, onChange, onSubmit, onCancel, busy }: Props) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  const countsId = useId();
  // The diff of a long answer may lag a keystroke behind; the typing never does.
  const deferred = useDeferredValue(value);
  const parts = useMemo(() => wordDiff(original, deferred), [original, deferred]);
  const counts = changeCount(parts);
  const unchanged = value.trim() === original.trim();
  const blank = value.trim() === '';

  useEffect(() => {
    textarea.current?.focus();
  }, []);

  return (
    <section aria-labelledby="correction-title" className="card correction">
      <h2 id="correction-title">Correction</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!blank) onSubmit();
        }}
      >
        <label htmlFor="corrected-answer">Corrected answer</label>
        <textarea
          id="corrected-answer"
          ref={textarea}
          value={value}
          rows={8}
          maxLength={65_536}
          aria-describedby={countsId}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              if (!blank && !busy) onSubmit();
            } else if (event.key === 'Escape') {
              event.preventDefault();
              onCancel();
            }
          }}
        />
        <div className="diff-head">
          <h3>Changes</h3>
          <span id={countsId} className="muted small">
            {unchanged ? 'No changes yet' : `${counts.added} words added, ${counts.removed} removed`}
          </span>
        </div>
        <p className="diff">
          {parts.map((part, index) =>
            part.kind === 'same' ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole on every change
              <span key={index}>{part.text}</span>
            ) : part.kind === 'added' ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole on every change
              <ins key={index}>{part.text}</ins>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole on every change
              <del key={index}>{part.text}</del>
            ),
          )}
        </p>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || blank} aria-keyshortcuts="Control+Enter">
            Submit correction
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          {unchanged ? <span className="muted small">The correction is identical to the answer.</span> : null}
        </div>
      </form>
    </section>
  );
}
