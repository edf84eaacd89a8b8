/**
 * One partition of an embedded topic: an append-only array of messages with consecutive offsets.
 * Retention deletes from the front, so the log starts at `startOffset` (0 until it is first
 * trimmed) and the array index of a message is its offset minus that start.
 */

export interface StoredMessage {
  readonly offset: number;
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export class PartitionLog {
  #startOffset: number;
  #messages: StoredMessage[];
  readonly #waiters = new Set<() => void>();

  /** A restored log: `messages` must hold consecutive offsets from `startOffset` on. */
  constructor(startOffset = 0, messages: StoredMessage[] = []) {
    messages.forEach((message, index) => {
      if (message.offset !== startOffset + index) {
        throw new RangeError(`a partition log starting at ${startOffset} cannot hold offset ${message.offset} there`);
      }
    });
    this.#startOffset = startOffset;
    this.#messages = messages;
  }

  /** The offset of the oldest message still kept (Kafka's log-start offset). */
  get startOffset(): number {
    return this.#startOffset;
  }

  /** The offset the next message will get (Kafka's log-end offset / high watermark). */
  get endOffset(): number {
    return this.#startOffset + this.#messages.length;
  }

  append(message: Omit<StoredMessage, 'offset'>): StoredMessage {
    const stored = { ...message, offset: this.endOffset };
    this.#messages.push(stored);
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
    return stored;
  }

  /** The message at `offset`; undefined past the end and below the start (deleted by retention). */
  at(offset: number): StoredMessage | undefined {
    return offset < this.#startOffset ? undefined : this.#messages[offset - this.#startOffset];
  }

  /** The first offset whose message was stamped at or after `time` (the end offset if none was). */
  firstOffsetAtOrAfter(time: number): number {
    // Timestamps only grow along a log (one clock), so the first young message ends the scan.
    const index = this.#messages.findIndex((message) => message.timestamp >= time);
    return index < 0 ? this.endOffset : this.#startOffset + index;
  }

  /** Deletes the messages below `offset` (at most up to the end); returns how many went. */
  trimTo(offset: number): number {
    const count = Math.min(offset, this.endOffset) - this.#startOffset;
    if (count <= 0) return 0;
    this.#messages = this.#messages.slice(count);
    this.#startOffset += count;
    return count;
  }

  /** Resolves once the log holds a message at `offset`, or as soon as `signal` aborts. */
  waitFor(offset: number, signal: AbortSignal): Promise<void> {
    if (offset < this.endOffset || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
