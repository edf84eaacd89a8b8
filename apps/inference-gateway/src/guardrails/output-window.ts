/**
 * The held-back window of a streamed answer: text deltas are buffered until a boundary (a
 * sentence end or a line break, or `holdChars` without one), then checked together with the text
 * so far (the buffer plus up to `contextChars` already released before it), so that a detector
 * sees an e-mail address, a card number or a denied phrase split over any number of chunks.
 * Only then is the buffer released, redacted as the policy redacted it: the client never receives
 * text that was not checked.
 *  - A release never ends inside a finding (it runs on to the finding's end), and a forced release
 *    (no boundary within `holdChars`) keeps the last `tailChars` back, where an entity may still be
 *    growing; an opened PEM block is held until it closes (up to `maxHoldChars`).
 *  - BLOCK stops the window: the caller ends the stream with an error event.
 * Window checks are provisional (`audit: false`): the caller makes the decision of record on the
 * whole answer when the stream ends.
 */
import type { PolicyFinding, PolicyVerdict } from '../answering/policy-gate.js';
import { redactSpans } from './passage-guard.js';
import { redactedFindingsOf } from './redacted-findings.js';

export interface OutputWindowOptions {
  /** Released without a boundary once this much text is held. */
  holdChars: number;
  /** Kept back at a forced release: an entity may be still arriving. */
  tailChars: number;
  /** Already-released text checked again before the buffer, for context across releases. */
  contextChars: number;
  /** An unclosed block (a PEM key) is held at most this long. */
  maxHoldChars: number;
}

export const defaultOutputWindow: OutputWindowOptions = {
  holdChars: 256,
  tailChars: 64,
  contextChars: 256,
  maxHoldChars: 16_384,
};

export type WindowStep = { release: string } | { blocked: PolicyVerdict };

export interface WindowStats {
  checks: number;
  /** Time spent in window checks, in milliseconds. */
  checkMs: number;
  /** The most text ever held back at once. */
  maxHeldChars: number;
}

export interface OutputWindow {
  push(delta: string): Promise<WindowStep>;
  /** The stream ended: the rest is checked and released. */
  end(): Promise<WindowStep>;
  /** All text received so far, as the model sent it. */
  readonly received: string;
  /** All text released so far, as the client got it. */
  readonly released: string;
  readonly stats: WindowStats;
}

// A sentence end followed by a space, or a line break.
const boundaryPattern = /[.!?;:。！？](?=\s)|\n/g;
const pemOpen = /-----BEGIN [A-Z0-9 ]{1,64}-----/g;

export function createOutputWindow(
  check: (text: string) => Promise<PolicyVerdict>,
  options: OutputWindowOptions = defaultOutputWindow,
): OutputWindow {
  let received = '';
  let released = '';
  let releasedRaw = 0;
  let blocked: PolicyVerdict | undefined;
  const stats: WindowStats = { checks: 0, checkMs: 0, maxHeldChars: 0 };

  /** Where the held text may be cut (in held-text offsets), or undefined to keep holding. */
  function releasePoint(held: string): number | undefined {
    let point: number | undefined;
    for (const match of held.matchAll(boundaryPattern)) point = match.index + match[0].length;
    if (point === undefined && held.length >= options.holdChars) {
      const limit = held.length - options.tailChars;
      const space = held.lastIndexOf(' ', limit);
      point = space > 0 ? space : limit;
    }
    if (point === undefined || point <= 0) return undefined;
    const open = unclosedPemStart(held);
    if (open !== undefined && held.length < options.maxHoldChars) {
      return open > 0 ? Math.min(point, open) : undefined;
    }
    return point;
  }

  async function releaseUpTo(point: number): Promise<WindowStep> {
    const contextStart = Math.max(0, releasedRaw - options.contextChars);
    const checked = received.slice(contextStart);
    const contextLength = releasedRaw - contextStart;
    const startedAt = performance.now();
    const verdict = await check(checked);
    stats.checks++;
    stats.checkMs += performance.now() - startedAt;
    if (verdict.decision === 'BLOCK') {
      blocked = verdict;
      return { blocked: verdict };
    }
    const findings = [...(verdict.findings ?? [])]
      .filter((finding) => finding.context === undefined)
      .sort((a, b) => a.start - b.start);
    // Never cut through a finding: run on to its end.
    let end = contextLength + point;
    for (const finding of findings) if (finding.start < end && finding.end > end) end = finding.end;
    const segment = checked.slice(contextLength, end);
    const redacted = redactedFindingsOf(verdict, checked)
      .filter((finding) => finding.end > contextLength && finding.start < end)
      .map(
        (finding): PolicyFinding => ({
          ...finding,
          // A finding begun in released text: what is left of it is replaced.
          start: Math.max(finding.start, contextLength) - contextLength,
          end: finding.end - contextLength,
        }),
      );
    const text = redacted.length > 0 ? redactSpans(segment, redacted) : segment;
    releasedRaw += segment.length;
    released += text;
    return { release: text };
  }

  return {
    async push(delta) {
      if (blocked) return { blocked };
      received += delta;
      const held = received.slice(releasedRaw);
      stats.maxHeldChars = Math.max(stats.maxHeldChars, held.length);
      const point = releasePoint(held);
      return point === undefined ? { release: '' } : releaseUpTo(point);
    },
    async end() {
      if (blocked) return { blocked };
      const held = received.length - releasedRaw;
      return held === 0 ? { release: '' } : releaseUpTo(held);
    },
    get received() {
      return received;
    },
    get released() {
      return released;
    },
    stats,
  };
}

/** The start of a `-----BEGIN ...-----` block with no `-----END` after it. */
function unclosedPemStart(held: string): number | undefined {
  let start: number | undefined;
  for (const match of held.matchAll(pemOpen)) start = match.index;
  if (start === undefined) return undefined;
  return held.indexOf('-----END ', start) === -1 ? start : undefined;
}
