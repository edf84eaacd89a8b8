/**
 * The trained prompt-injection classifier: logistic regression over hashed, binary, L2-normalised
 * features of the normalised lowercased text (the heuristics' matching text): word unigrams, word
 * bigrams and character 3- to 5-grams of the words joined by single spaces, each hashed with
 * FNV-1a (32 bits, over UTF-16 code units) into 2^18 buckets. Trained offline on public data by
 * tools/injection-classifier/ (its README lists the sources, licences and how to retrain), which
 * writes injection-classifier-weights.json beside this file: the bias, the 40,000 largest weights
 * and the threshold chosen on held-out training data (never on the test sets).
 *
 * A text is read in windows of 128 words every 64 words, and scores its best window's
 * probability; every word is cut at 32 characters. So the cost is linear in the text: each
 * character is hashed a bounded number of times (two windows, three n-gram lengths), and a window
 * costs at most 128 words of 32 characters whatever the input looks like.
 *
 * The features must stay in step with `features()` in tools/injection-classifier/train.py:
 * injection-classifier.test.ts pins scores that train.py printed for fixed texts.
 */
import { readFileSync } from 'node:fs';
import type { MatchingText } from '../normalisation/matching-text.js';

interface WeightsFile {
  version: string;
  buckets: number;
  window: number;
  stride: number;
  charNgrams: number[];
  maxTokenChars: number;
  threshold: number;
  bias: number;
  scale: number;
  indexDeltas: number[];
  weights: number[];
}

export interface InjectionClassifier {
  /** `v1`: names the weights in rule ids (`injection.prompt.classifier.v1`). */
  version: string;
  /** Scores at or above it are injections. */
  threshold: number;
  /** The best window's probability of injection and its span in the matching text. */
  score(matching: Pick<MatchingText, 'text'>): InjectionScore;
}

export interface InjectionScore {
  probability: number;
  /** Span of the best window in the matching text; empty for a text without words. */
  start: number;
  end: number;
}

const tokenPattern = /[\p{L}\p{N}\p{M}]+/gu;
const fnvOffset = 0x811c9dc5;
const fnvPrime = 0x01000193;

function hashChars(hash: number, text: string, from: number, to: number): number {
  let value = hash;
  for (let index = from; index < to; index += 1) value = Math.imul(value ^ text.charCodeAt(index), fnvPrime) >>> 0;
  return value;
}

const prefixHash = (prefix: string) => hashChars(fnvOffset, prefix, 0, prefix.length);
const wordPrefix = prefixHash('w:');
const bigramPrefix = prefixHash('b:');
const charPrefix = prefixHash('c:');
const space = ' '.charCodeAt(0);

export function createInjectionClassifier(file: WeightsFile): InjectionClassifier {
  if (file.buckets <= 0 || (file.buckets & (file.buckets - 1)) !== 0) throw new Error('buckets must be a power of two');
  if (file.indexDeltas.length !== file.weights.length) throw new Error('indexDeltas and weights differ in length');
  const weights = new Float64Array(file.buckets);
  let index = 0;
  for (let position = 0; position < file.weights.length; position += 1) {
    index += file.indexDeltas[position] as number;
    weights[index] = (file.weights[position] as number) / file.scale;
  }
  const bias = Math.round(file.bias * file.scale) / file.scale;
  const mask = file.buckets - 1;
  const ngrams = [...file.charNgrams].sort((a, b) => a - b);
  const shortest = ngrams[0] ?? 1;
  const longest = ngrams[ngrams.length - 1] ?? 0;
  const counted = Array.from({ length: longest + 1 }, (_, length) => ngrams.includes(length));
  // Buckets already counted in the current window: stamped with the window's number.
  const seen = new Uint32Array(file.buckets);
  let stamp = 0;

  function windowLogit(words: string[]): number {
    stamp += 1;
    if (stamp === 0xffffffff) {
      seen.fill(0);
      stamp = 1;
    }
    let sum = 0;
    let count = 0;
    const add = (hash: number) => {
      const bucket = hash & mask;
      if (seen[bucket] === stamp) return;
      seen[bucket] = stamp;
      sum += weights[bucket] as number;
      count += 1;
    };
    for (let position = 0; position < words.length; position += 1) {
      const word = words[position] as string;
      add(hashChars(wordPrefix, word, 0, word.length));
      if (position > 0) {
        const previous = words[position - 1] as string;
        const withPrevious = hashChars(bigramPrefix, previous, 0, previous.length);
        add(hashChars(Math.imul(withPrevious ^ space, fnvPrime) >>> 0, word, 0, word.length));
      }
    }
    const joined = ` ${words.join(' ')} `;
    for (let start = 0; start + shortest <= joined.length; start += 1) {
      let hash = hashChars(charPrefix, joined, start, start + shortest - 1);
      for (let length = shortest; length <= longest && start + length <= joined.length; length += 1) {
        hash = Math.imul(hash ^ joined.charCodeAt(start + length - 1), fnvPrime) >>> 0;
        if (counted[length]) add(hash);
      }
    }
    return count === 0 ? bias : bias + sum / Math.sqrt(count);
  }

  return {
    version: file.version,
    threshold: file.threshold,
    score(matching) {
      const words: string[] = [];
      const starts: number[] = [];
      const ends: number[] = [];
      for (const match of matching.text.matchAll(tokenPattern)) {
        words.push(match[0].length > file.maxTokenChars ? match[0].slice(0, file.maxTokenChars) : match[0]);
        starts.push(match.index);
        ends.push(match.index + match[0].length);
      }
      let best = {
        logit: windowLogit(words.slice(0, file.window)),
        first: 0,
        last: Math.min(words.length, file.window),
      };
      if (words.length > file.window) {
        for (let first = file.stride; first - file.stride + file.window < words.length; first += file.stride) {
          const last = Math.min(first + file.window, words.length);
          const logit = windowLogit(words.slice(first, last));
          if (logit > best.logit) best = { logit, first, last };
        }
      }
      return {
        probability: 1 / (1 + Math.exp(-best.logit)),
        start: best.last > best.first ? (starts[best.first] as number) : 0,
        end: best.last > best.first ? (ends[best.last - 1] as number) : 0,
      };
    },
  };
}

let shipped: InjectionClassifier | undefined;

/** The classifier with the weights shipped beside this file, loaded once. */
export function shippedInjectionClassifier(): InjectionClassifier {
  shipped ??= createInjectionClassifier(
    JSON.parse(readFileSync(new URL('./injection-classifier-weights.json', import.meta.url), 'utf8')) as WeightsFile,
  );
  return shipped;
}
