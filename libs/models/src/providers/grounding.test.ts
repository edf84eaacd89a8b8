import { describe, expect, it } from 'vitest';
import { citedMarkersOf, groundedMessagesOf } from './grounding.js';

describe('grounded prompts', () => {
  it("numbers the contexts in a system message after the caller's own system messages", () => {
    const messages = groundedMessagesOf({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q?' },
      ],
      contexts: [{ marker: 1, chunkId: 'a#0', documentId: 'a', title: 'A', text: 'alpha' }],
    });
    expect(messages.map((message) => message.role)).toEqual(['system', 'system', 'user']);
    expect(messages[1]?.content).toContain('[1] A\nalpha');
    expect(groundedMessagesOf({ messages: [], contexts: [] })[0]?.content).toContain('Contexts: none.');
  });

  it('reads [n], [n, m] and [n][m] markers in order of first use, only for given contexts', () => {
    expect(citedMarkersOf('x [2] y [1, 3] z [2][4] [12]', [1, 2, 3, 4])).toEqual([2, 1, 3, 4]);
    expect(citedMarkersOf('no markers, [a] or [0]', [1])).toEqual([]);
  });
});
