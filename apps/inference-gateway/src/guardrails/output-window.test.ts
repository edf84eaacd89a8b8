import { describe, expect, it } from 'vitest';
import { createFakePolicyGate } from './fake-policy-gate.fixture.js';
import { createOutputWindow, defaultOutputWindow, type WindowStep } from './output-window.js';

function windowOver(options = defaultOutputWindow, reportActions = false) {
  const gate = createFakePolicyGate({ reportActions });
  const window = createOutputWindow(
    (text) =>
      gate.check({
        tenantId: 't',
        stage: 'output',
        text,
        contexts: [],
        requestId: 'r',
        readRequires: [],
        audit: false,
      }),
    options,
  );
  return { gate, window };
}

const releaseOf = (step: WindowStep) => ('release' in step ? step.release : undefined);

describe('createOutputWindow', () => {
  it.each([false, true])(
    'redacts an e-mail address split over two chunks before any of it is released (actions reported: %s)',
    async (reportActions) => {
      const { window, gate } = windowOver(defaultOutputWindow, reportActions);
      const sent: string[] = [];
      for (const delta of ['Write to ann.lee@exa', 'mple.com for refunds. ', 'Thanks', '!']) {
        sent.push(releaseOf(await window.push(delta)) ?? '');
      }
      sent.push(releaseOf(await window.end()) ?? '');
      // Nothing of the address left the gateway in the first chunk.
      expect(sent[0]).toBe('');
      expect(sent.join('')).toBe('Write to [EMAIL] for refunds. Thanks!');
      expect(sent.join('')).not.toMatch(/ann|exa/);
      expect(window.released).toBe(sent.join(''));
      expect(window.received).toBe('Write to ann.lee@example.com for refunds. Thanks!');
      // Every window check was provisional.
      expect(gate.checks.every((check) => check.audit === false)).toBe(true);
    },
  );

  it('checks released text again as context, so a finding begun before the cut is still replaced', async () => {
    const { window } = windowOver({ ...defaultOutputWindow, holdChars: 20, tailChars: 4 });
    const sent: string[] = [];
    // A forced release (no boundary within 20 characters) may cut an address that was not complete yet.
    for (const delta of ['Reach our team at the desk ann', '@example.com', ' today', '.\n']) {
      sent.push(releaseOf(await window.push(delta)) ?? '');
    }
    sent.push(releaseOf(await window.end()) ?? '');
    const all = sent.join('');
    expect(all).toContain('[EMAIL]');
    expect(all).not.toContain('example.com');
  });

  it('stops at BLOCK: nothing of the blocked sentence is released, and later pushes stay blocked', async () => {
    const { window } = windowOver();
    expect(releaseOf(await window.push('Fine so far. '))).toBe('Fine so far.');
    expect(releaseOf(await window.push('Now the forbidden-'))).toBe('');
    const step = await window.push('topic here. More.');
    expect(step).toMatchObject({ blocked: { decision: 'BLOCK' } });
    expect(await window.push('more')).toMatchObject({ blocked: { decision: 'BLOCK' } });
    expect(window.released).toBe('Fine so far.');
  });

  it('holds an opened PEM block until it closes', async () => {
    const { window } = windowOver({ ...defaultOutputWindow, holdChars: 40, tailChars: 8 });
    expect(releaseOf(await window.push('Key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n'))).toBe(
      'Key:\n',
    );
    expect(releaseOf(await window.push('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'))).toBe('');
    expect(releaseOf(await window.push('-----END PRIVATE KEY-----\n'))).toContain('-----END PRIVATE KEY-----');
  });

  it('measures its checks and what it held back', async () => {
    const { window } = windowOver();
    await window.push('One. Two. ');
    await window.push('Three');
    await window.end();
    expect(window.stats.checks).toBe(2);
    expect(window.stats.maxHeldChars).toBe(10);
    expect(window.stats.checkMs).toBeGreaterThanOrEqual(0);
  });
});
