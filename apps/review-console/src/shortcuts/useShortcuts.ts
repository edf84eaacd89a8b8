/**
 * Single-key shortcuts for people who review all day. A key never fires while the reviewer types
 * in a text field (an "a" in the corrected answer is a letter, not "Approve"), with Ctrl, Alt or Meta
 * held (the browser's own shortcuts stay theirs), or while a modal dialog is open.
 */
import { useLayoutEffect, useRef } from 'react';

export type ShortcutMap = Partial<Record<string, (event: KeyboardEvent) => void>>;

/** Input types whose keys are typed text (a button or a checkbox takes no letters). */
const NON_TEXT_INPUTS = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image']);

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  return target.closest('[contenteditable="true"], [contenteditable=""]') !== null;
}

/** A modal dialog handles its own keys (Esc, Tab); the page's shortcuts wait until it closes. */
function modalOpen(): boolean {
  return document.querySelector('[aria-modal="true"]') !== null;
}

export function shortcutFor(event: KeyboardEvent, map: ShortcutMap): ((event: KeyboardEvent) => void) | undefined {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return undefined;
  if (isTypingTarget(event.target)) return undefined;
  if (modalOpen()) return undefined;
  return map[event.key];
}

/** Binds the map's keys (KeyboardEvent.key values: "a", "?", "]") on the window while `enabled`. */
export function useShortcuts(map: ShortcutMap, enabled = true): void {
  // The latest handlers without re-binding the listener on every render.
  const current = useRef(map);
  current.current = map;

  // Bound before the browser paints the screen, so a key pressed the moment it shows is not lost.
  useLayoutEffect(() => {
    if (!enabled) return;
    function onKeyDown(event: KeyboardEvent) {
      const handler = shortcutFor(event, current.current);
      if (!handler) return;
      event.preventDefault();
      handler(event);
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [enabled]);
}

/** Every shortcut of the console, for the help overlay and the README. */
export const SHORTCUTS: { keys: string[]; action: string }[] = [
  { keys: ['n'], action: 'Claim next' },
  { keys: ['a'], action: 'Approve' },
  { keys: ['r'], action: 'Reject' },
  { keys: ['c'], action: 'Correct (open the correction editor)' },
  { keys: ['Ctrl+Enter', '⌘+Enter'], action: 'Submit correction (in the editor)' },
  { keys: ['s'], action: 'Skip (asks for a reason)' },
  { keys: ['e'], action: 'Release the item' },
  { keys: ['j', ']'], action: 'Next citation' },
  { keys: ['k', '['], action: 'Previous citation' },
  { keys: ['l'], action: 'Show or hide the lineage' },
  { keys: ['m'], action: 'Write a comment' },
  { keys: ['?'], action: 'Show these shortcuts' },
  { keys: ['Esc'], action: 'Close the dialog or the editor' },
];
