import { type FormEvent, forwardRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { ReviewComment } from '../api/types';
import { useApi } from '../session/SessionContext';

interface Props {
  itemId: string;
  comments: ReviewComment[] | null;
  onAdded: (comment: ReviewComment) => void;
}

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** The item's discussion: every comment, oldest first, and a box to add one. */
export const Comments = forwardRef<HTMLTextAreaElement, Props>(function Comments({ itemId, comments, onAdded }, ref) {
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onAdded(await api.addComment(itemId, text));
      setText('');
    } catch (failure) {
      // The text stays in the box: nothing typed is lost to a failed request.
      setError(failure instanceof ApiError ? failure.message : 'The comment could not be saved.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="comments-title" className="card comments">
      <h2 id="comments-title">Comments{comments ? ` (${comments.length})` : ''}</h2>
      {comments === null ? <p aria-busy="true">Loading…</p> : null}
      {comments && comments.length === 0 ? <p className="muted small">No comments yet.</p> : null}
      {comments && comments.length > 0 ? (
        <ul className="comment-list">
          {comments.map((comment) => (
            <li key={comment.id}>
              <div className="comment-head">
                <strong>{comment.author}</strong> <time dateTime={comment.createdAt}>{when(comment.createdAt)}</time>
              </div>
              <p>{comment.text}</p>
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={onSubmit}>
        <label htmlFor="new-comment">Comment</label>
        <textarea
          id="new-comment"
          ref={ref}
          rows={2}
          maxLength={8192}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
        />
        {error ? (
          <p role="alert" className="field-error">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || !text.trim()}>
          Add comment
        </button>
      </form>
    </section>
  );
});
