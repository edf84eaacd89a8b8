import { describe, expect, it } from 'vitest';
import { isBlankText } from './blank-text.js';

describe('isBlankText', () => {
  it.each([
    ['', 'empty'],
    ['  \n\t ', 'whitespace'],
    ['\u200B\u200C\u200D\u2060\uFEFF', 'zero-width characters and the BOM'],
    ['\u202E\u2066\u2069\u200E\u200F', 'bidirectional controls'],
    ['\u00A0\u3000\u2028\u2029', 'separators'],
    ['\u3164\u115F\u2800\uFE0F', 'blank letters and variation selectors'],
    ['\u{E0020}\u{E0041}', 'tag characters'],
  ])('treats %j (%s) as blank', (text) => {
    expect(isBlankText(text)).toBe(true);
  });

  it.each(['a', '\u200Bx\u200B', '日本', '👍', '٣', 'é'])('treats %j as visible', (text) => {
    expect(isBlankText(text)).toBe(false);
  });
});
