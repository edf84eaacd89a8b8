/**
 * Letters that look like Latin letters, folded to them so that `pаypal` written with a Cyrillic
 * `а`, or `ѕk_lіve_…` with Cyrillic `ѕ` and `і`, reads as Latin to every detector and topic matcher.
 *
 * A hand-kept subset of Unicode's confusables data (UTS #39, `confusables.txt`): the single
 * characters of the Cyrillic, Greek, Armenian, Cherokee and Latin-extension blocks whose
 * prototype there is one ASCII letter. No package on the tested-package list ships that table
 * in a usable compact form (`confusables`, `unicode-confusables` and `decancer` were considered:
 * the first two map whole strings with their own heuristics, the last is a native binary), so
 * the common look-alikes are listed here. Fullwidth and mathematical letters need no entry: NFKC
 * already folds them, and it runs first. Digits of every script are handled apart (`\p{Nd}`).
 */
const lookAlikes: Record<string, string> = {
  // Cyrillic lowercase
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  һ: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  о: 'o',
  р: 'p',
  ԛ: 'q',
  г: 'r',
  ѕ: 's',
  у: 'y',
  ԝ: 'w',
  х: 'x',
  с: 'c',
  ԁ: 'd',
  ү: 'y',
  ɡ: 'g',
  // Cyrillic uppercase
  А: 'A',
  В: 'B',
  Е: 'E',
  Ё: 'E',
  З: '3',
  Һ: 'H',
  І: 'I',
  Ї: 'I',
  Ј: 'J',
  К: 'K',
  Ӏ: 'I',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  Ԛ: 'Q',
  Ѕ: 'S',
  Т: 'T',
  Ү: 'Y',
  Ԝ: 'W',
  Х: 'X',
  С: 'C',
  Ԁ: 'D',
  // Greek lowercase
  α: 'a',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  υ: 'u',
  χ: 'x',
  γ: 'y',
  // Greek uppercase
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  // Armenian and Cherokee look-alikes seen in phishing
  օ: 'o',
  ս: 'u',
  ց: 'g',
  հ: 'h',
  Ꭺ: 'A',
  Ꮯ: 'C',
  Ꭼ: 'E',
  Ꮋ: 'H',
  Ꮃ: 'W',
  // Latin extensions
  ı: 'i',
  ȷ: 'j',
  ɑ: 'a',
  ɩ: 'i',
  ʏ: 'y',
  ᴀ: 'a',
  ᴄ: 'c',
  ᴏ: 'o',
  ᴠ: 'v',
  ᴡ: 'w',
  ᴢ: 'z',
  // Punctuation that stands in for ASCII in addresses and keys
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2212': '-',
  '\u0589': ':',
  '\u05c3': ':',
  '\u0701': '.',
  '\u06d4': '.',
};

export const confusableCharacters: ReadonlyMap<string, string> = new Map(Object.entries(lookAlikes));

/** A character class of every confusable above, for quick "does this run need folding" tests. */
export const confusableClass = `[${[...confusableCharacters.keys()].join('').replace(/[-\]\\^]/g, '\\$&')}]`;
