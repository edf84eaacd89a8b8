/**
 * The one normal form every offset in Keel points into: no byte-order mark, `\n` line ends,
 * Unicode NFC. Chunk offsets and citations are computed on this text, so every parser
 * normalises through here first.
 */
export function normaliseText(raw: string): string {
  const withoutBom = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  // Lone `\r` (classic Mac line ends) is treated like `\r\n`: both become one `\n`.
  return withoutBom.replace(/\r\n?/g, '\n').normalize('NFC');
}
