import { describe, expect, it } from 'vitest';
import { rebaseParsed } from './rebase.js';
import { TextBuilder } from './text-builder.js';

describe('rebaseParsed: spans follow the text through a redaction', () => {
  it('moves sections, pages and tables past replaced spans', () => {
    const builder = new TextBuilder();
    builder.startPage(1);
    builder.heading(1, 'Contacts');
    builder.paragraph('Write to jane.doe@example.com for refunds.');
    builder.startPage(2);
    builder.heading(2, 'Phones');
    builder.table([
      ['Name', 'Phone'],
      ['Jane', '+44 20 7946 0958'],
    ]);
    builder.paragraph('Call any weekday.');
    const parsed = builder.finish('test');
    const redacted = parsed.text
      .replace('jane.doe@example.com', '[EMAIL_ADDRESS]')
      .replace('+44 20 7946 0958', '[PHONE_NUMBER]');
    const rebased = rebaseParsed(parsed, redacted);
    const slices = (doc: typeof parsed, spans: { start: number; end: number }[]) =>
      spans.map((span) => doc.text.slice(span.start, span.end));
    expect(slices(rebased, rebased.sections)).toEqual([
      '# Contacts\n\nWrite to [EMAIL_ADDRESS] for refunds.\n\n',
      '## Phones\n\n| Name | Phone |\n| --- | --- |\n| Jane | [PHONE_NUMBER] |\n\nCall any weekday.',
    ]);
    expect(slices(rebased, rebased.tables ?? [])).toEqual([
      '| Name | Phone |\n| --- | --- |\n| Jane | [PHONE_NUMBER] |',
    ]);
    expect(slices(rebased, rebased.pages ?? []).map((page) => page.trim().split('\n')[0])).toEqual([
      '# Contacts',
      '## Phones',
    ]);
    expect(rebaseParsed(parsed, parsed.text)).toBe(parsed);
  });
});
