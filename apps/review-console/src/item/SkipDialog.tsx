import { type FormEvent, useState } from 'react';
import { Dialog } from '../ui/Dialog';

interface Props {
  onSkip: (reason: string) => void;
  onClose: () => void;
  busy: boolean;
  error: string | null;
}

/** Skipping asks why: the reason is recorded and a lead reads it in the audit trail. */
export function SkipDialog({ onSkip, onClose, busy, error }: Props) {
  const [reason, setReason] = useState('');

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (reason.trim()) onSkip(reason.trim());
  }

  return (
    <Dialog title="Skip this item" onClose={onClose}>
      <form onSubmit={onSubmit}>
        <label htmlFor="skip-reason">Reason for skipping</label>
        <textarea
          id="skip-reason"
          rows={3}
          maxLength={500}
          required
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
        />
        <p className="muted small">The item goes back to the queue; you will not get it again for an hour.</p>
        {error ? (
          <p role="alert" className="field-error">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy || !reason.trim()}>
            {/* Not "Skip …": the item's "Skip" button keeps a name no other control contains. */}
            Confirm
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
