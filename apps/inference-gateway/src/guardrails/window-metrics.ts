/**
 * What the held-back window of streams costs, as metrics: the time each stream spent in window
 * checks (added to its chunks' latency), how many checks it made, and the most text it held back.
 */
import { getMeter } from '@keel/platform';
import type { WindowStats } from './output-window.js';

export function createWindowMetrics(): (stats: WindowStats) => void {
  const meter = getMeter();
  const checkTime = meter.createHistogram('keel.guardrails.stream_window.check_duration', {
    description: 'Time one stream spent in held-back window checks',
    unit: 'ms',
  });
  const checks = meter.createHistogram('keel.guardrails.stream_window.checks', {
    description: 'Held-back window checks of one stream',
    unit: '{check}',
  });
  const held = meter.createHistogram('keel.guardrails.stream_window.held_characters', {
    description: 'The most text one stream held back at once',
    unit: '{character}',
  });
  return (stats) => {
    checkTime.record(stats.checkMs);
    checks.record(stats.checks);
    held.record(stats.maxHeldChars);
  };
}
