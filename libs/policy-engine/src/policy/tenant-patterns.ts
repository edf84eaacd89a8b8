/**
 * Tenant-written patterns run on RE2 (re2js, a pure JavaScript port): matching is linear in the
 * text whatever the pattern, so no policy can hang the engine with catastrophic backtracking
 * (`(a+)+$`). The price is RE2's syntax: no backreferences and no lookaround, which are refused
 * when the policy is compiled (at upload), with RE2's reason.
 */
import { RE2JS } from 're2js';

export const PATTERN_LIMITS = {
  /** Characters of a pattern as written. */
  length: 1000,
  /** Findings one pattern may report in one text; the rest are not looked for (bounded output). */
  matchesPerText: 10_000,
} as const;

export interface TenantPattern {
  source: string;
  /** Every match as [start, end) of `text`, UTF-16 offsets, empty matches skipped. */
  matchAll(text: string): { start: number; end: number }[];
}

export type PatternCompilation = { ok: true; pattern: TenantPattern } | { ok: false; reason: string };

export function compileTenantPattern(source: string, options: { caseInsensitive?: boolean } = {}): PatternCompilation {
  if (source.length === 0) return { ok: false, reason: 'is empty' };
  if (source.length > PATTERN_LIMITS.length) {
    return { ok: false, reason: `is longer than ${PATTERN_LIMITS.length} characters` };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, options.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    return { ok: false, reason: unsupportedReason(source, (error as Error).message) };
  }
  // A pattern that matches nothing but the empty string would fire everywhere and redact nothing.
  if (compiled.matches('')) return { ok: false, reason: 'matches the empty string' };
  return {
    ok: true,
    pattern: {
      source,
      matchAll(text) {
        const spans: { start: number; end: number }[] = [];
        const matcher = compiled.matcher(text);
        while (spans.length < PATTERN_LIMITS.matchesPerText && matcher.find()) {
          const start = matcher.start();
          const end = matcher.end();
          if (end > start) spans.push({ start, end });
        }
        return spans;
      },
    },
  };
}

/** RE2's parse error, with a word on why when the construct is one RE2 refuses by design. */
function unsupportedReason(source: string, message: string): string {
  const detail = message.replace(/^error parsing regexp: /, '');
  if (/\\[1-9]|\\k</.test(source)) {
    return `is not supported by the linear-time engine (RE2): backreferences cannot run in linear time (${detail})`;
  }
  if (/\(\?<?[=!]/.test(source)) {
    return `is not supported by the linear-time engine (RE2): lookahead and lookbehind cannot run in linear time (${detail})`;
  }
  return `is not a valid RE2 pattern: ${detail}`;
}
