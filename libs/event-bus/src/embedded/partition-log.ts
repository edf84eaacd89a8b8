/** One partition of an embedded topic: an append-only array whose index is the offset. */

export interface StoredMessage {
  readonly offset: number;
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export class PartitionLog {
  readonly #messages: StoredMessage[] = [];
  readonly #waiters = new Set<() => void>();

  /** The offset the next message will get (Kafka's log-end offset / high watermark). */
  get endOffset(): number {
    return this.#messages.length;
  }

  append(message: Omit<StoredMessage, 'offset'>): StoredMessage {
    const stored = { ...message, offset: this.#messages.length };
    this.#messages.push(stored);
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
    return stored;
  }

  at(offset: number): StoredMessage | undefined {
    return this.#messages[offset];
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
