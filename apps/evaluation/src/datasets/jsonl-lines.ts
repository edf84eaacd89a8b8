/**
 * Splits a byte stream into numbered lines without ever holding more than one line: a line
 * longer than `maxLineBytes`, a body over `maxBytes` or bytes that are not UTF-8 stop the stream
 * with a LineError naming the line. Blank lines are skipped but counted, so numbers match an
 * editor's.
 */
export interface JsonlLimits {
  maxLineBytes: number;
  maxBytes: number;
}

export interface NumberedLine {
  number: number;
  text: string;
}

export class LineError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    /** The body as a whole is too large (413), rather than one line malformed (400). */
    readonly tooLarge = false,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export async function* jsonlLines(
  source: AsyncIterable<Uint8Array | string>,
  limits: JsonlLimits,
): AsyncGenerator<NumberedLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let number = 0;

  const emit = (bytes: Buffer): NumberedLine | undefined => {
    number++;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new LineError(number, 'is not valid UTF-8');
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (number === 1 && text.startsWith('\ufeff')) text = text.slice(1);
    return text.trim().length === 0 ? undefined : { number, text };
  };

  for await (const piece of source) {
    const chunk =
      typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    total += chunk.byteLength;
    if (total > limits.maxBytes) throw new LineError(number + 1, `the body is over ${limits.maxBytes} bytes`, true);
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, newline);
      if (pendingBytes + part.byteLength > limits.maxLineBytes) {
        throw new LineError(number + 1, `longer than ${limits.maxLineBytes} bytes`);
      }
      const bytes = pending.length > 0 ? Buffer.concat([...pending, part]) : part;
      pending = [];
      pendingBytes = 0;
      const line = emit(bytes);
      if (line) yield line;
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.byteLength > 0) {
      pendingBytes += rest.byteLength;
      if (pendingBytes > limits.maxLineBytes)
        throw new LineError(number + 1, `longer than ${limits.maxLineBytes} bytes`);
      // Copied: the source may reuse its buffer.
      pending.push(Buffer.from(rest));
    }
  }
  if (pendingBytes > 0) {
    const line = emit(Buffer.concat(pending));
    if (line) yield line;
  }
}
