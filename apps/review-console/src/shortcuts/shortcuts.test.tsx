// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HelpDialog } from './HelpDialog';
import { SHORTCUTS, useShortcuts } from './useShortcuts';

afterEach(cleanup);

function Harness({ onApprove }: { onApprove: () => void }) {
  const [help, setHelp] = useState(false);
  useShortcuts({ a: onApprove, '?': () => setHelp(true) });
  return (
    <div>
      <button type="button">Focusable</button>
      <label htmlFor="text">Corrected answer</label>
      <textarea id="text" />
      <label htmlFor="field">Reason</label>
      <input id="field" />
      <label htmlFor="check">Flag</label>
      <input id="check" type="checkbox" />
      <div contentEditable suppressContentEditableWarning data-testid="editable">
        <span data-testid="inside">x</span>
      </div>
      {help ? <HelpDialog onClose={() => setHelp(false)} /> : null}
    </div>
  );
}

describe('keyboard shortcuts', () => {
  it('fire on the page and on buttons and checkboxes', () => {
    const onApprove = vi.fn();
    render(<Harness onApprove={onApprove} />);
    fireEvent.keyDown(document.body, { key: 'a' });
    fireEvent.keyDown(screen.getByRole('button', { name: 'Focusable' }), { key: 'a' });
    fireEvent.keyDown(screen.getByLabelText('Flag'), { key: 'a' });
    expect(onApprove).toHaveBeenCalledTimes(3);
  });

  it('never fire while typing in a text field', () => {
    const onApprove = vi.fn();
    render(<Harness onApprove={onApprove} />);
    fireEvent.keyDown(screen.getByLabelText('Corrected answer'), { key: 'a' });
    fireEvent.keyDown(screen.getByLabelText('Reason'), { key: 'a' });
    fireEvent.keyDown(screen.getByTestId('inside'), { key: 'a' });
    expect(onApprove).not.toHaveBeenCalled();
  });

  it('leave the browser its Ctrl, Alt and Meta combinations', () => {
    const onApprove = vi.fn();
    render(<Harness onApprove={onApprove} />);
    fireEvent.keyDown(document.body, { key: 'a', ctrlKey: true });
    fireEvent.keyDown(document.body, { key: 'a', metaKey: true });
    fireEvent.keyDown(document.body, { key: 'a', altKey: true });
    expect(onApprove).not.toHaveBeenCalled();
  });

  it('? opens a help dialog that lists every shortcut, traps focus, and Esc closes it', () => {
    const onApprove = vi.fn();
    render(<Harness onApprove={onApprove} />);
    const opener = screen.getByRole('button', { name: 'Focusable' });
    opener.focus();
    fireEvent.keyDown(opener, { key: '?' });

    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    for (const shortcut of SHORTCUTS) expect(dialog.textContent).toContain(shortcut.action);
    const close = screen.getByRole('button', { name: 'Close' });
    expect(document.activeElement).toBe(close);

    // The only focusable control: Tab and Shift+Tab stay on it.
    fireEvent.keyDown(close, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(close);

    // While the dialog is open, page shortcuts wait.
    fireEvent.keyDown(close, { key: 'a' });
    expect(onApprove).not.toHaveBeenCalled();

    fireEvent.keyDown(close, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
