/**
 * Test doubles that implement ports (no adapters here: tests construct the embedded adapters
 * themselves). Deterministic, so that a failing test fails the same way every time.
 */
import { createHash } from 'node:crypto';
import { type DecodedEvent, decodeEvent, type TopicName, type TopicPayload } from '@keel/contracts';
import type { EventBus, OutgoingMessage, Subscription } from '@keel/event-bus';
import type { Embedder } from '@keel/text';
import type { DocumentScanner, ScanInput, ScanResult } from '../policy/document-scanner.js';

/**
 * A bag-of-words embedder: each word adds to a hashed dimension, then the vector is normalised.
 * Texts sharing words are close, which is all a test of the plumbing needs.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  calls = 0;
  embeddedTexts = 0;
  /** When set, the n-th call (1-based) throws this error instead of embedding. */
  failOnCall?: { call: number; error: Error };

  constructor(readonly dimensions = 64) {
    this.id = `hashing-bow-${dimensions}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    this.calls += 1;
    if (this.failOnCall?.call === this.calls) throw this.failOnCall.error;
    this.embeddedTexts += texts.length;
    return texts.map((text) => this.vectorOf(text));
  }

  private vectorOf(text: string): number[] {
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const slot = createHash('sha256').update(word).digest().readUInt32BE(0) % this.dimensions;
      vector[slot] = (vector[slot] ?? 0) + 1;
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((value) => value / norm);
  }
}

/** Records what was published; subscriptions are not needed by the pipeline. */
export class RecordingEventBus implements EventBus {
  readonly published: { topic: string; message: OutgoingMessage }[] = [];
  /** When set, publishing to this topic throws (once per entry in the list). */
  failures: { topic: string; error: Error }[] = [];

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const failure = this.failures.findIndex((entry) => entry.topic === topic);
    if (failure >= 0) {
      const [entry] = this.failures.splice(failure, 1);
      throw entry?.error;
    }
    for (const message of messages) this.published.push({ topic, message });
  }

  events<N extends TopicName>(topic: N): DecodedEvent<TopicPayload<N>>[] {
    return this.published
      .filter((entry) => entry.topic === topic)
      .map((entry) => decodeEvent(topic, { value: entry.message.value, headers: entry.message.headers ?? {} }));
  }

  async subscribe(): Promise<Subscription> {
    throw new Error('RecordingEventBus does not deliver messages');
  }

  async ensureTopics(): Promise<void> {}

  async health() {
    return { ok: true, detail: 'recording' };
  }

  async close(): Promise<void> {}
}

/** Answers each scan with `verdict(input)`; records what it was asked. */
export class ScriptedScanner implements DocumentScanner {
  readonly scanned: ScanInput[] = [];

  constructor(private readonly verdict: (input: ScanInput) => ScanResult | Promise<ScanResult>) {}

  async scan(input: ScanInput): Promise<ScanResult> {
    this.scanned.push(input);
    return this.verdict(input);
  }
}

export const allowAll = (): ScanResult => ({ decision: 'allow', policyVersion: 'test-policy-1' });
