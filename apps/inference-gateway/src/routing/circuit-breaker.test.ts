import { describe, expect, it } from 'vitest';
import { type BreakerPermit, type BreakerSettings, createCircuitBreaker } from './circuit-breaker.js';

const settings: BreakerSettings = {
  failureThreshold: 3,
  minimumRequests: 4,
  windowMs: 10_000,
  openMs: 1000,
  halfOpenProbes: 1,
};

function permit(result: ReturnType<ReturnType<typeof createCircuitBreaker>['acquire']>): BreakerPermit {
  if ('retryInMs' in result) throw new Error(`expected a permit, the breaker refused for ${result.retryInMs} ms`);
  return result;
}

describe('the circuit breaker', () => {
  it('opens after consecutive failures, refuses calls while open, then lets one probe through', () => {
    let now = 0;
    const breaker = createCircuitBreaker(() => now);
    permit(breaker.acquire(settings)).failure();
    permit(breaker.acquire(settings)).success();
    permit(breaker.acquire(settings)).failure();
    permit(breaker.acquire(settings)).failure();
    expect(breaker.state()).toBe('closed');
    permit(breaker.acquire(settings)).failure();
    expect(breaker.state()).toBe('open');
    now = 400;
    expect(breaker.acquire(settings)).toEqual({ retryInMs: 600 });

    now = 1000;
    expect(breaker.state()).toBe('half-open');
    const probe = permit(breaker.acquire(settings));
    // Only one probe at a time.
    expect('retryInMs' in breaker.acquire(settings)).toBe(true);
    probe.success();
    expect(breaker.state()).toBe('closed');
    permit(breaker.acquire(settings)).success();
  });

  it('opens again for a whole period when the probe fails', () => {
    let now = 0;
    const breaker = createCircuitBreaker(() => now);
    for (let call = 0; call < 3; call++) permit(breaker.acquire(settings)).failure();
    now = 1500;
    permit(breaker.acquire(settings)).failure();
    expect(breaker.state()).toBe('open');
    now = 2000;
    expect(breaker.acquire(settings)).toEqual({ retryInMs: 500 });
    now = 2500;
    expect(breaker.state()).toBe('half-open');
  });

  it('a probe that says nothing about the endpoint (released) frees its slot without closing', () => {
    let now = 0;
    const breaker = createCircuitBreaker(() => now);
    for (let call = 0; call < 3; call++) permit(breaker.acquire(settings)).failure();
    now = 1000;
    permit(breaker.acquire(settings)).release();
    expect(breaker.state()).toBe('half-open');
    permit(breaker.acquire(settings)).success();
    expect(breaker.state()).toBe('closed');
  });

  it('opens on the failure rate within the window, not on old failures', () => {
    let now = 0;
    const breaker = createCircuitBreaker(() => now);
    const rate = { ...settings, failureThreshold: 100, failureRate: 0.5 };
    permit(breaker.acquire(rate)).failure();
    permit(breaker.acquire(rate)).success();
    permit(breaker.acquire(rate)).failure();
    expect(breaker.state()).toBe('closed');
    // Past the window the first three calls no longer count.
    now = 20_000;
    permit(breaker.acquire(rate)).success();
    permit(breaker.acquire(rate)).success();
    permit(breaker.acquire(rate)).failure();
    expect(breaker.state()).toBe('closed');
    permit(breaker.acquire(rate)).failure();
    expect(breaker.state()).toBe('open');
  });

  it('counts an outcome once, however often it is reported', () => {
    const breaker = createCircuitBreaker(() => 0);
    const once = permit(breaker.acquire(settings));
    once.failure();
    once.failure();
    once.failure();
    expect(breaker.state()).toBe('closed');
  });
});
