/**
 * Every context of an answer, indexed once, so that each claim's best support (support.ts) is
 * found without comparing the claim with every window of every chunk.
 *
 * The result is exactly `max over chunks of supportOf(claim, chunk)` and the first chunk that
 * reaches it (context-index.test.ts checks this against support.ts on random inputs), found in
 * time that grows with what the claim shares with the contexts rather than with their product:
 *
 * 1. Postings: each content term lists the sentences holding it. A claim walks the lists of its
 *    own terms (and of their negations), counting per sentence how many distinct claim terms,
 *    claim positions and fact terms (numbers, negations) it holds. A window shares nothing
 *    with the claim unless one of its sentences is on one of these lists, and then its
 *    coverage, its contradiction cap and an upper bound of its support follow from the counts.
 * 2. Bound first: windows are visited by descending upper bound (coverage, plus an order term
 *    that assumes every shared position lines up); the walk stops at the first bound below the
 *    best support found, so the longest common subsequence is computed for a few windows only.
 * 3. That subsequence is computed bit-parallel (Allison-Dix / Hyyrö): 32 claim positions per
 *    machine word, so a long claim against a long window costs |claim|/32 × |window| steps.
 * 4. Common terms (in over a quarter of the sentences, like a product name) are first left out
 *    of the walk and looked up in the windows the other terms lead to; their own postings are
 *    walked only when the windows holding nothing else could still beat the best found.
 *
 * Work is counted in a budget (see WorkBudget): past it, the remaining windows are not looked
 * at, so a claim's support is a lower bound, and the caller says so in its explanation.
 */
import { isNegatedTerm, isNumericTerm, NEGATED_PREFIX } from './content-terms.js';
import { CONTRADICTION_CAP, COVERAGE_WEIGHT, ORDER_WEIGHT, sentenceTermsOf } from './support.js';

// Module-local copies: the hot loops read them millions of times, and an import binding may be a getter.
const COVERAGE = COVERAGE_WEIGHT;
const ORDER = ORDER_WEIGHT;
const CAP = CONTRADICTION_CAP;
// Budget units per posting entry read and per window considered, relative to one LCS word step.
const POSTING_COST = 4;
const CANDIDATE_COST = 8;
// A term in more than this share of the sentences (and at least this many) is "common".
const COMMON_SHARE = 0.25;
const COMMON_MIN_POSTINGS = 4;

/** Numbers and negated terms: facts, which a window must hold or be capped. */
function isFactTerm(term: string): boolean {
  return isNumericTerm(term) || isNegatedTerm(term);
}

/** What every step of one claim's search needs to know about it. */
interface ClaimShape {
  terms: readonly string[];
  multiplicity: ReadonlyMap<string, number>;
  n: number;
  distinct: number;
  factTerms: number;
}

/** A claim term counted by lookup in each candidate window instead of through its postings. */
interface SharedTerm {
  term: string;
  count: number;
  fact: boolean;
}

export interface IndexedContext {
  chunkId: string;
  text: string;
}

export interface BestSupport {
  /** The first chunk (in the order given) reaching the best support; empty when none shares a term. */
  chunkId: string;
  support: number;
  /** False when the budget ran out before every window that could do better was compared. */
  complete: boolean;
}

/** Operations left for one answer: posting entries read, window terms filtered, LCS word steps. */
export class WorkBudget {
  constructor(private remaining: number) {}

  spend(operations: number): void {
    this.remaining -= operations;
  }

  get exhausted(): boolean {
    return this.remaining <= 0;
  }
}

/** Claim positions as bit masks per term, for the bit-parallel longest common subsequence. */
export class ClaimBits {
  readonly words: number;
  private readonly masks = new Map<string, Uint32Array>();

  constructor(private readonly claimTerms: readonly string[]) {
    this.words = Math.max(1, Math.ceil(claimTerms.length / 32));
    claimTerms.forEach((term, position) => {
      let mask = this.masks.get(term);
      if (!mask) {
        mask = new Uint32Array(this.words);
        this.masks.set(term, mask);
      }
      mask[position >>> 5] = ((mask[position >>> 5] ?? 0) | (1 << (position & 31))) >>> 0;
    });
  }

  /** The length of the longest common subsequence of the claim's terms and `terms`. */
  lcsWith(terms: readonly string[]): number {
    const n = this.claimTerms.length;
    if (n === 0 || terms.length === 0) return 0;
    if (this.words === 1) return this.lcsOneWord(terms, n);
    // V starts all ones; each matching term turns a one into a zero: V' = (V + U) | (V & ~M).
    const v = new Uint32Array(this.words).fill(0xffffffff);
    for (const term of terms) {
      const mask = this.masks.get(term);
      if (!mask) continue;
      let carry = 0;
      for (let word = 0; word < this.words; word++) {
        const current = v[word] ?? 0;
        const match = mask[word] ?? 0;
        const sum = current + ((current & match) >>> 0) + carry;
        carry = sum > 0xffffffff ? 1 : 0;
        v[word] = sum | (current & ~match);
      }
    }
    let zeros = 0;
    for (let word = 0; word < this.words; word++) {
      const bits = Math.min(32, n - word * 32);
      zeros += bits - popcount((v[word] ?? 0) & lowBits(bits));
    }
    return zeros;
  }

  private lcsOneWord(terms: readonly string[], n: number): number {
    let v = -1;
    for (const term of terms) {
      const match = this.masks.get(term)?.[0];
      if (match === undefined) continue;
      v = (v + (v & match)) | (v & ~match);
    }
    return n - popcount(v & lowBits(n));
  }
}

function lowBits(bits: number): number {
  return bits >= 32 ? -1 : (1 << bits) - 1;
}

function popcount(value: number): number {
  let x = value - ((value >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Per-sentence counters for one claim; a stamp tells this claim's entries from stale ones. */
interface Scratch {
  stamp: Int32Array;
  covered: Int32Array;
  occurrences: Int32Array;
  facts: Int32Array;
  // For the window (sentence - 1, sentence): what both of its sentences hold, counted once.
  bothCovered: Int32Array;
  bothOccurrences: Int32Array;
  bothFacts: Int32Array;
  negatedStamp: Int32Array;
  windowStamp: Int32Array;
  /** The sentences sharing a term with the claim, in the order found. */
  touched: Int32Array;
  // The candidate windows of one claim, in the order found.
  candidateWindow: Int32Array;
  candidateBound: Float64Array;
  candidateShare: Float64Array;
  candidateCapped: Uint8Array;
}

export class ContextIndex {
  private readonly chunkIds: string[] = [];
  /** Sentence id → index of its chunk; sentences are numbered across chunks, in order. */
  private readonly sentenceChunk: number[] = [];
  private readonly sentenceTerms: string[][] = [];
  private readonly sentenceTermSets: Set<string>[] = [];
  private readonly postings = new Map<string, number[]>();
  private scratch: Scratch | undefined;
  private claimStamp = 0;

  constructor(contexts: readonly IndexedContext[]) {
    contexts.forEach((context, chunkIndex) => {
      this.chunkIds.push(context.chunkId);
      for (const terms of sentenceTermsOf(context.text)) {
        const sentence = this.sentenceTerms.length;
        const termSet = new Set(terms);
        this.sentenceChunk.push(chunkIndex);
        this.sentenceTerms.push(terms);
        this.sentenceTermSets.push(termSet);
        for (const term of termSet) {
          const list = this.postings.get(term);
          if (list) list.push(sentence);
          else this.postings.set(term, [sentence]);
        }
      }
    });
  }

  get sentenceCount(): number {
    return this.sentenceTerms.length;
  }

  private scratchArrays(): Scratch {
    if (!this.scratch) {
      const size = this.sentenceTerms.length;
      this.scratch = {
        stamp: new Int32Array(size),
        covered: new Int32Array(size),
        occurrences: new Int32Array(size),
        facts: new Int32Array(size),
        bothCovered: new Int32Array(size),
        bothOccurrences: new Int32Array(size),
        bothFacts: new Int32Array(size),
        negatedStamp: new Int32Array(size),
        windowStamp: new Int32Array(size * 2),
        touched: new Int32Array(size),
        candidateWindow: new Int32Array(size * 2),
        candidateBound: new Float64Array(size * 2),
        candidateShare: new Float64Array(size * 2),
        candidateCapped: new Uint8Array(size * 2),
      };
    }
    return this.scratch;
  }

  /** True when sentences `sentence - 1` and `sentence` form a window (same chunk). */
  private hasPair(sentence: number): boolean {
    return sentence > 0 && this.sentenceChunk[sentence - 1] === this.sentenceChunk[sentence];
  }

  /** The best support of a claim over every window of every context (see the file comment). */
  bestSupport(claimTerms: readonly string[], budget: WorkBudget): BestSupport {
    const none: BestSupport = { chunkId: '', support: 0, complete: true };
    if (claimTerms.length === 0 || this.sentenceTerms.length === 0) return none;
    if (budget.exhausted) return { ...none, complete: false };
    const n = claimTerms.length;
    const multiplicity = new Map<string, number>();
    for (const term of claimTerms) multiplicity.set(term, (multiplicity.get(term) ?? 0) + 1);
    const distinct = multiplicity.size;
    let factTerms = 0;
    for (const term of multiplicity.keys()) if (isFactTerm(term)) factTerms++;
    const claim: ClaimShape = { terms: claimTerms, multiplicity, n, distinct, factTerms };

    // A term in a large share of the sentences ("Northwind" in a Northwind manual) makes most
    // of the walk. First search the windows holding one of the other terms, checking the common
    // ones by lookup; a window holding only common terms can then be skipped when even holding
    // all of them in order could not reach the best found.
    const commonAt = Math.max(COMMON_MIN_POSTINGS, this.sentenceTerms.length * COMMON_SHARE);
    const common: SharedTerm[] = [];
    const rare = new Map<string, number>();
    for (const [term, count] of multiplicity) {
      if ((this.postings.get(term)?.length ?? 0) > commonAt) common.push({ term, count, fact: isFactTerm(term) });
      else rare.set(term, count);
    }
    if (common.length > 0 && rare.size > 0) {
      const found = this.search(claim, rare, common, budget);
      if (!found.complete) return found;
      const positions = common.reduce((total, shared) => total + shared.count, 0);
      const commonFacts = common.filter((shared) => shared.fact).length;
      // The support's own expression for a window holding every common term in order.
      const uncapped = COVERAGE * (common.length / distinct) + ORDER * (positions / n);
      const ceiling = commonFacts < factTerms ? Math.min(uncapped, CAP) : uncapped;
      if (ceiling < found.support) return found;
    }
    return this.search(claim, multiplicity, [], budget);
  }

  /**
   * The best support over the windows holding a term of `walked` (found through its postings),
   * counting the terms of `looked` by lookup in those windows.
   */
  private search(
    claim: ClaimShape,
    walked: ReadonlyMap<string, number>,
    looked: readonly SharedTerm[],
    budget: WorkBudget,
  ): BestSupport {
    const { terms: claimTerms, multiplicity, n } = claim;
    const s = this.scratchArrays();
    const stamp = ++this.claimStamp;
    const touched = this.countShared(walked, multiplicity, stamp, budget);
    if (touched === 0) return { chunkId: '', support: 0, complete: true };
    const candidates = this.collectCandidates(touched, stamp, claim, looked);
    budget.spend(CANDIDATE_COST * (touched + candidates.count) + candidates.count * looked.length);

    const bits = new ClaimBits(claimTerms);
    let best = 0;
    let bestChunk = -1;
    const evaluate = (candidate: number): void => {
      const window = s.candidateWindow[candidate] ?? 0;
      const sentence = window >>> 1;
      const chunk = this.sentenceChunk[sentence] ?? 0;
      const bound = s.candidateBound[candidate] ?? 0;
      // Below the best it cannot win; equal, it can only tie, and ties go to the earlier chunk.
      if (bound < best || (bound === best && bestChunk !== -1 && chunk >= bestChunk)) return;
      const windowTerms =
        (window & 1) === 0
          ? (this.sentenceTerms[sentence] ?? [])
          : [...(this.sentenceTerms[sentence - 1] ?? []), ...(this.sentenceTerms[sentence] ?? [])];
      // Window terms absent from the claim can never be part of a common subsequence.
      const relevant = windowTerms.filter((term) => multiplicity.has(term));
      budget.spend(windowTerms.length + bits.words * relevant.length);
      const support = COVERAGE * (s.candidateShare[candidate] ?? 0) + ORDER * (bits.lcsWith(relevant) / n);
      const value = s.candidateCapped[candidate] === 1 ? Math.min(support, CAP) : support;
      if (value > best || (value === best && value > 0 && chunk < bestChunk)) {
        best = value;
        bestChunk = chunk;
      }
    };

    // The windows with the highest bound first (often a quote: support 1 ends the search), then
    // those whose bound still reaches the best, by descending bound.
    let complete = true;
    for (let candidate = 0; candidate < candidates.count; candidate++) {
      if (s.candidateBound[candidate] !== candidates.topBound) continue;
      if (budget.exhausted) {
        complete = false;
        break;
      }
      evaluate(candidate);
    }
    if (complete) {
      const rest: number[] = [];
      for (let candidate = 0; candidate < candidates.count; candidate++) {
        const bound = s.candidateBound[candidate] ?? 0;
        if (bound < candidates.topBound && bound >= best) rest.push(candidate);
      }
      budget.spend(CANDIDATE_COST * rest.length * Math.ceil(Math.log2(rest.length + 1)));
      rest.sort(
        (a, b) =>
          (s.candidateBound[b] ?? 0) - (s.candidateBound[a] ?? 0) ||
          (s.candidateWindow[a] ?? 0) - (s.candidateWindow[b] ?? 0),
      );
      for (const candidate of rest) {
        if ((s.candidateBound[candidate] ?? 0) < best) break;
        if (budget.exhausted) {
          complete = false;
          break;
        }
        evaluate(candidate);
      }
    }
    return { chunkId: bestChunk === -1 ? '' : (this.chunkIds[bestChunk] ?? ''), support: best, complete };
  }

  /**
   * Walks the postings of the claim's terms: per sentence, how many distinct claim terms, claim
   * positions and fact terms it holds (and, for the pair ending there, how many of those both
   * sentences hold), and which sentences negate a term the claim asserts without asserting it.
   */
  private countShared(
    walked: ReadonlyMap<string, number>,
    multiplicity: ReadonlyMap<string, number>,
    stamp: number,
    budget: WorkBudget,
  ): number {
    const s = this.scratchArrays();
    const { covered, occurrences, facts, bothCovered, bothOccurrences, bothFacts } = s;
    let touched = 0;
    for (const [term, count] of walked) {
      const fact = isFactTerm(term);
      const list = this.postings.get(term);
      if (list) {
        budget.spend(POSTING_COST * list.length);
        let previous = -2;
        for (const sentence of list) {
          if (s.stamp[sentence] !== stamp) {
            s.stamp[sentence] = stamp;
            covered[sentence] = 0;
            occurrences[sentence] = 0;
            facts[sentence] = 0;
            bothCovered[sentence] = 0;
            bothOccurrences[sentence] = 0;
            bothFacts[sentence] = 0;
            s.touched[touched++] = sentence;
          }
          covered[sentence] = (covered[sentence] ?? 0) + 1;
          occurrences[sentence] = (occurrences[sentence] ?? 0) + count;
          if (fact) facts[sentence] = (facts[sentence] ?? 0) + 1;
          if (previous === sentence - 1 && this.sentenceChunk[previous] === this.sentenceChunk[sentence]) {
            bothCovered[sentence] = (bothCovered[sentence] ?? 0) + 1;
            bothOccurrences[sentence] = (bothOccurrences[sentence] ?? 0) + count;
            if (fact) bothFacts[sentence] = (bothFacts[sentence] ?? 0) + 1;
          }
          previous = sentence;
        }
      }
    }
    for (const term of multiplicity.keys()) {
      // A sentence negating a term the claim asserts, without asserting it too, contradicts it.
      if (!isNegatedTerm(term)) {
        const negations = this.postings.get(`${NEGATED_PREFIX}${term}`);
        if (negations) {
          budget.spend(POSTING_COST * negations.length);
          for (const sentence of negations) {
            if (!this.sentenceTermSets[sentence]?.has(term)) s.negatedStamp[sentence] = stamp;
          }
        }
      }
    }
    return touched;
  }

  /**
   * The windows sharing a term with the claim (window 2k is sentence k alone, 2k + 1 the pair
   * (k - 1, k)), each with its coverage, whether it is capped, and an upper bound of its support.
   */
  private collectCandidates(
    touched: number,
    stamp: number,
    claim: ClaimShape,
    looked: readonly SharedTerm[],
  ): { count: number; topBound: number } {
    const { n, distinct, factTerms } = claim;
    const s = this.scratchArrays();
    const { covered, occurrences, facts, bothCovered, bothOccurrences, bothFacts, negatedStamp, windowStamp } = s;
    const last = this.sentenceTerms.length - 1;
    let count = 0;
    let topBound = 0;
    for (let index = 0; index < touched; index++) {
      const touchedSentence = s.touched[index] ?? 0;
      // Its own window, the pair it ends and the pair it starts.
      for (let variant = 0; variant < 3; variant++) {
        const sentence = variant === 2 ? touchedSentence + 1 : touchedSentence;
        const pair = variant > 0;
        if (pair && (sentence > last || !this.hasPair(sentence))) continue;
        const window = 2 * sentence + (pair ? 1 : 0);
        if (windowStamp[window] === stamp) continue;
        windowStamp[window] = stamp;
        const here = s.stamp[sentence] === stamp;
        let shared = here ? (covered[sentence] ?? 0) : 0;
        let positions = here ? (occurrences[sentence] ?? 0) : 0;
        let factsHeld = here ? (facts[sentence] ?? 0) : 0;
        let contradicted = negatedStamp[sentence] === stamp;
        if (pair) {
          const before = sentence - 1;
          if (s.stamp[before] === stamp) {
            shared += (covered[before] ?? 0) - (here ? (bothCovered[sentence] ?? 0) : 0);
            positions += (occurrences[before] ?? 0) - (here ? (bothOccurrences[sentence] ?? 0) : 0);
            factsHeld += (facts[before] ?? 0) - (here ? (bothFacts[sentence] ?? 0) : 0);
          }
          contradicted ||= negatedStamp[before] === stamp;
        }
        for (const other of looked) {
          const held =
            this.sentenceTermSets[sentence]?.has(other.term) ||
            (pair && this.sentenceTermSets[sentence - 1]?.has(other.term));
          if (!held) continue;
          shared++;
          positions += other.count;
          if (other.fact) factsHeld++;
        }
        if (shared === 0) continue;
        // A number or negation of the claim missing from the window caps it, like a contradiction.
        const capped = contradicted || factsHeld < factTerms;
        const share = shared / distinct;
        // The support's own expression with every shared position in order: the support can
        // only be lower (floating-point rounding is monotonic), never higher.
        const uncapped = COVERAGE * share + ORDER * (positions / n);
        const bound = capped ? Math.min(uncapped, CAP) : uncapped;
        s.candidateWindow[count] = window;
        s.candidateBound[count] = bound;
        s.candidateShare[count] = share;
        s.candidateCapped[count] = capped ? 1 : 0;
        count++;
        if (bound > topBound) topBound = bound;
      }
    }
    return { count, topBound };
  }
}
