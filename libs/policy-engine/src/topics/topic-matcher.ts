/**
 * Matches a text against named topics, each a list of phrases: case-insensitive, on word
 * boundaries (a phrase never matches inside a longer word: "arms" does not match "farms"),
 * tolerant of any run of whitespace between a phrase's words, on NFKC-normalised text.
 */
import { type MatchingText, normalisePhrase, toMatchingText } from '../normalisation/matching-text.js';

export interface TopicRule {
  name: string;
  phrases: readonly string[];
}

export interface TopicMatch {
  topic: string;
  /** The phrase as configured. */
  phrase: string;
  /** Offsets in the text as received. */
  start: number;
  end: number;
}

/**
 * `prepared` hands in the text's matching form when the caller has it (or will need it again):
 * several matchers over one text then normalise it once.
 */
export type TopicMatcher = (text: string, prepared?: () => MatchingText) => TopicMatch[];

interface CompiledTopic {
  name: string;
  pattern: RegExp;
  /** Normalised phrase → the phrase as configured. */
  phrases: Map<string, string>;
}

export function compileTopics(topics: readonly TopicRule[]): TopicMatcher {
  const compiled = topics.flatMap((topic) => {
    const compiledTopic = compileTopic(topic);
    return compiledTopic ? [compiledTopic] : [];
  });
  if (compiled.length === 0) return () => [];
  return (original, prepared) => {
    const matching = prepared ? prepared() : toMatchingText(original);
    const matches: TopicMatch[] = [];
    for (const topic of compiled) {
      for (const match of matching.text.matchAll(topic.pattern)) {
        const span = matching.originalSpan(match.index, match.index + match[0].length);
        const phrase = topic.phrases.get(match[0].replace(/\s+/g, ' ')) ?? match[0];
        matches.push({ topic: topic.name, phrase, ...span });
      }
    }
    return matches.sort((a, b) => a.start - b.start || a.end - b.end);
  };
}

function compileTopic(topic: TopicRule): CompiledTopic | undefined {
  const phrases = new Map<string, string>();
  for (const phrase of topic.phrases) {
    const normalised = normalisePhrase(phrase);
    if (normalised && !phrases.has(normalised)) phrases.set(normalised, phrase);
  }
  if (phrases.size === 0) return undefined;
  // Longest first, so "build a bomb" wins over "bomb" at the same position.
  const alternatives = [...phrases.keys()]
    .sort((a, b) => b.length - a.length)
    .map((phrase) => phrase.split(' ').map(escapeRegExp).join('\\s+'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'gu');
  return { name: topic.name, pattern, phrases };
}

function escapeRegExp(text: string): string {
  // Only syntax characters may be escaped in a unicode-mode pattern.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
