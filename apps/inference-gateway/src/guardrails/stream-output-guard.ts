/**
 * Guards what a pass-through stream releases: text goes through the held-back window
 * (output-window.ts) and out redacted; tool-call deltas are held whole until the stream ends,
 * when the caller has checked their arguments, and are then released one complete delta per call.
 * Nothing reaches the client unchecked, whether the request streams or not.
 */
import type { ToolCall } from '@keel/models';
import type { PolicyVerdict } from '../answering/policy-gate.js';
import { createOutputWindow, type OutputWindowOptions, type WindowStats } from './output-window.js';

export interface StreamOutputGuard {
  /** Buffers a text delta; releases what the window lets go. */
  push(text: string): Promise<void>;
  /** The model finished: the rest of the text is checked and released. */
  end(): Promise<void>;
  /** Releases the checked (and possibly redacted) tool calls, by their stream index. */
  releaseToolCalls(indexes: readonly number[], calls: readonly ToolCall[]): void;
  /** The window's BLOCK, once one came: nothing more is released. */
  readonly blocked: PolicyVerdict | undefined;
  /** The text the client received. */
  readonly released: string;
  readonly stats: WindowStats;
}

export function createStreamOutputGuard(options: {
  /** A provisional output check (not the decision of record). */
  check: (text: string) => Promise<PolicyVerdict>;
  emitText: (text: string) => void;
  emitToolCall: (delta: { index: number; id?: string; name?: string; arguments?: string }) => void;
  window?: OutputWindowOptions;
}): StreamOutputGuard {
  const window = createOutputWindow(options.check, options.window);
  let blocked: PolicyVerdict | undefined;
  const step = async (next: Promise<{ release: string } | { blocked: PolicyVerdict }>) => {
    const result = await next;
    if ('blocked' in result) blocked = result.blocked;
    else if (result.release) options.emitText(result.release);
  };
  return {
    push: (text) => (blocked ? Promise.resolve() : step(window.push(text))),
    end: () => (blocked ? Promise.resolve() : step(window.end())),
    releaseToolCalls(indexes, calls) {
      if (blocked) return;
      calls.forEach((call, at) => {
        options.emitToolCall({
          index: indexes[at] ?? at,
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        });
      });
    },
    get blocked() {
      return blocked;
    },
    get released() {
      return window.released;
    },
    stats: window.stats,
  };
}
