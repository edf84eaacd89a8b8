/**
 * Person names, from the name lists of compromise (a maintained English NLP library: some
 * 3,000 first names and 900 family names from many languages, and its honorifics) and the
 * `word-list` English dictionary (to tell an unknown word from an English one), read in one
 * linear pass over the words of the text. A name starts at:
 *  - a capitalised word the lists know as a first name ("Maria", "Tomomi");
 *  - a capitalised word after an honorific ("Dr. Okafor", "Mrs Lindqvist");
 *  - a known family name after a capitalised word ("Sigrid Nyström"), or alone inside a
 *    sentence ("says Hartvigsson");
 *  - a first name, a middle initial and a family name ("Csanád P Gere");
 *  - two capitalised words neither list knows ("Liisa Lepistö"), unless after "in", "at",
 *    "from"... (a place);
 *  - a word introduced as a name: "my name is ...", "I'm ...", "Name: ...", "calls me ...";
 *    after the strong introductions ("my name is", "maiden name is") even in lower case;
 * and runs on over the capitalised words and initials that follow on the same line
 * ("Jaroslava P. Sedláčková"), up to five words, ending before a possessive 's. A name that
 * is part of a place or an organisation ("Gordon Terrace", "Miller Ltd", "The Davis
 * Orchestra", "1234 Elisabeth Parks") is dropped.
 *
 * Why not compromise's full tagger (`nlp(text).people()`): measured on presidio-synth it found
 * fewer names (recall 0.60, precision 0.79) and cost about 16 ms for a 2 KB text, eight times
 * the whole Check's budget; the lists it is built on, used this way, cost about 0.16 ms.
 */
import { readFileSync } from 'node:fs';
import nlp from 'compromise';
import wordListPath from 'word-list';
import { FindingType, type PiiFinding } from './finding.js';

export const personRuleId = 'pii.person.name-list';

interface NameLists {
  first: ReadonlySet<string>;
  last: ReadonlySet<string>;
  honorifics: ReadonlySet<string>;
  /** Every single word of the lexicon, names or not, and every English dictionary word. */
  known: ReadonlySet<string>;
}

let lists: NameLists | undefined;

/**
 * compromise's lexicon split by tag, and the English dictionary; built once (about 0.15 s and
 * 21 MB of heap), on first use or when a scanner is created (`loadPersonNameLists`).
 */
export function loadPersonNameLists(): void {
  nameLists();
}

function nameLists(): NameLists {
  if (lists) return lists;
  const lexicon = (nlp.model() as { one: { lexicon: Record<string, string | string[]> } }).one.lexicon;
  const first = new Set<string>();
  const last = new Set<string>();
  const honorifics = new Set<string>();
  // word-list: some 275,000 English words (the Words dictionary), all lower case.
  const known = new Set<string>(readFileSync(wordListPath, 'utf8').split('\n'));
  for (const [word, tag] of Object.entries(lexicon)) {
    if (word.includes(' ')) continue;
    known.add(word);
    const tags = Array.isArray(tag) ? tag : [tag];
    if (tags.some((t) => t === 'FirstName' || t === 'MaleName' || t === 'FemaleName')) first.add(word);
    else if (tags.some((t) => t === 'LastName' || t === 'Person')) last.add(word);
    if (tags.includes('Honorific')) honorifics.add(word);
  }
  for (const word of ['miss', 'mister', 'madam', 'mx', 'lady', 'lord', 'dame']) honorifics.add(word);
  lists = { first, last, honorifics, known };
  return lists;
}

// Words: letters and combining marks, with inner apostrophes or hyphens (O'Neil, Jean-Luc).
const wordPattern = /\p{L}[\p{L}\p{M}]*(?:['\u2019-]\p{L}[\p{L}\p{M}]*)*/gu;
/** Phrases that introduce a name; the name is the word right after them. */
const introductions =
  /\b(?:my name is|my name's|name is|names? are|name:|i am|i'm|this is|call me|calls me|called|named|(?:first|last|middle|maiden|family|sur) ?name(?: is)?\??:?|signed|regards,|sincerely,|dear)\s+/gi;
/** The strong ones, which make even a lower-case word a name ("her maiden name is nyberg"). */
const strongIntroductions =
  /\b(?:my name is|my name's|name is|name:|call me|calls me|(?:first|last|middle|maiden|family|sur) ?name(?: is)?\??:?)\s+/gi;
/** How far before a word its introduction may start. */
const introductionWindow = 24;
/** Words after which two unknown capitalised words are a place, not a person ("in Buenos Aires"). */
const placePrepositions = new Set('in at from to near via into across around through visit visiting'.split(' '));
/**
 * Capitalised words that make the words before them a place or an organisation ("Gordon
 * Terrace", "Miller Ltd", "Williamson Orchestra"), not a person.
 */
const placeOrOrganisationHeads = new Set(
  'street st road rd avenue ave lane ln way boulevard blvd drive terrace place square court ct park hill hills bridge creek cliffs lodge mall bypass pass flat flats crescent close gardens grove row walk highway motorway apt apartment suite floor building tower centre center station airport river lake mount valley island islands inc ltd llc plc gmbh ag sa corp corporation company co group holdings bank university college school academy hospital clinic hotel orchestra band partners associates foundation institute trust fund investments capital union ministry department council club church cathedral museum theatre theater stadium rua rue via vicolo calle avenida strada piazza plaza platz strasse straße str gasse weg vej gade gatan gata katu utca ulica laan straat plein'.split(
    ' ',
  ),
);
/** Lower-case words that are not names even after an introduction ("I'm not sure"). */
const notNames = new Set(
  'a an the not so very just here there from in at on with after before by calling writing going trying sure sorry glad happy afraid interested looking new back still also really your my his her their our its and or but of to for is was'.split(
    ' ',
  ),
);
const maxWords = 5;

class Word {
  private lowered: string | undefined;
  /** Starts with a capital and is not all capitals (an acronym, a shouted city). */
  readonly capitalised: boolean;
  /** A single capital letter: a middle initial. */
  readonly initial: boolean;

  constructor(
    readonly text: string,
    readonly start: number,
    /** End of the word, before a possessive 's ("Matej's" ends at "Matej"). */
    readonly end: number,
  ) {
    const head = text[0] as string;
    // A capital first letter (it differs from its lower case), and not all capitals.
    const capitalHead = head !== head.toLowerCase();
    this.capitalised = capitalHead && (text.length === 1 || text !== text.toUpperCase());
    this.initial = text.length === 1 && capitalHead;
  }

  /** Lower case, without a possessive 's; computed when first read (most words never are). */
  get lower(): string {
    this.lowered ??= this.text.toLowerCase();
    return this.lowered;
  }
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(wordPattern)) {
    const whole = match[0];
    const possessive = whole.length > 2 && (whole.endsWith("'s") || whole.endsWith('\u2019s'));
    const word = possessive ? whole.slice(0, -2) : whole;
    words.push(new Word(word, match.index, match.index + word.length));
  }
  return words;
}

/** Whether a word is the first of the text, of a line or of a sentence. */
function startsSentence(text: string, word: Word): boolean {
  const before = text.slice(Math.max(0, word.start - 3), word.start).trimEnd();
  return before === '' || /[.!?:"\u201c>\n\r]$/.test(before);
}

/** A letter whose lower case differs (`Word.capitalised` needs one). */
const capitalLetter = /[\p{Lu}\p{Lt}]/u;

export function detectPersons(text: string): PiiFinding[] {
  // No capital letter and no strong introduction: no word can start a name, so skip the pass
  // over every word (most chat turns written in lower case).
  strongIntroductions.lastIndex = 0;
  if (!capitalLetter.test(text) && !strongIntroductions.test(text)) return [];
  strongIntroductions.lastIndex = 0;
  const { first, last, honorifics, known } = nameLists();
  const words = wordsOf(text);
  // Where introduced words start, each kind found in one pass over the text when first needed
  // (testing the few characters before every word was a fifth of this detector's time).
  let introducedStarts: ReadonlySet<number> | undefined;
  let stronglyIntroducedStarts: ReadonlySet<number> | undefined;
  const introduced = (word: Word) => {
    introducedStarts ??= startsAfter(text, introductions);
    return introducedStarts.has(word.start);
  };
  const stronglyIntroduced = (word: Word) => {
    stronglyIntroducedStarts ??= startsAfter(text, strongIntroductions);
    return stronglyIntroducedStarts.has(word.start);
  };
  const at = (index: number) => words[index];
  const findings: PiiFinding[] = [];
  let index = 0;
  while (index < words.length) {
    const word = words[index] as Word;
    const previous = at(index - 1);
    const next = at(index + 1);
    let startIndex = index;
    let lowerCaseName = false;
    if (word.capitalised && !word.initial) {
      if (first.has(word.lower)) {
        // "Maria", "Tomomi"
      } else if (previous && honorifics.has(previous.lower) && joined(text, previous, word, honorifics)) {
        startIndex = index - 1; // "Dr. Okafor"
      } else if (last.has(word.lower) && previous?.capitalised && !previous.initial && joined(text, previous, word)) {
        startIndex = index - 1; // "Sigrid Nyström" when the family name is known
      } else if (last.has(word.lower) && !startsSentence(text, word)) {
        // A known family name on its own inside a sentence: "says Hartvigsson"
      } else if (
        !known.has(word.lower) &&
        next?.initial &&
        joined(text, word, next, honorifics) &&
        at(index + 2)?.capitalised
      ) {
        // "Csanád P Gere", "Soib K. Kishiev": first name, middle initial, family name
      } else if (
        !known.has(word.lower) &&
        next?.capitalised &&
        !next.initial &&
        !known.has(next.lower) &&
        !placeOrOrganisationHeads.has(next.lower) &&
        joined(text, word, next) &&
        !(previous && placePrepositions.has(previous.lower))
      ) {
        // "Liisa Lepistö": two capitalised words no lexicon knows, not after "in", "at", "from"
      } else if (!introduced(word)) {
        index++;
        continue;
      }
    } else if (!word.initial && stronglyIntroduced(word) && !notNames.has(word.lower)) {
      lowerCaseName = true; // "her maiden name is nyberg"
    } else {
      index++;
      continue;
    }
    let endIndex = index;
    while (endIndex + 1 < words.length && endIndex - startIndex + 1 < maxWords) {
      const current = words[endIndex] as Word;
      const following = words[endIndex + 1] as Word;
      if (!joined(text, current, following, honorifics)) break;
      if (placeOrOrganisationHeads.has(following.lower)) break;
      const continues = lowerCaseName
        ? !following.capitalised &&
          !notNames.has(following.lower) &&
          (!known.has(following.lower) || last.has(following.lower))
        : following.capitalised;
      if (!continues) break;
      endIndex++;
    }
    const start = (words[startIndex] as Word).start;
    const end = (words[endIndex] as Word).end;
    index = endIndex + 1;
    // "Gordon Terrace", "The Davis Orchestra": a place or an organisation named after someone.
    const before = at(startIndex - 1);
    const after = at(endIndex + 1);
    if (after?.capitalised && placeOrOrganisationHeads.has(after.lower) && joined(text, words[endIndex] as Word, after))
      continue;
    if (before?.lower === 'the' && before.capitalised && joined(text, before, words[startIndex] as Word)) continue;
    // "1234 Elisabeth Parks", "Rua Cidade": an address line.
    if (/\d[\p{L}]?[ ,]{1,2}$/u.test(text.slice(Math.max(0, start - 4), start))) continue;
    if (before && placeOrOrganisationHeads.has(before.lower) && joined(text, before, words[startIndex] as Word))
      continue;
    if (/(?:strasse|straße|gasse|gatan|katu|vej|weg)$/.test((words[endIndex] as Word).lower)) continue;
    findings.push({ type: FindingType.person, start, end, ruleId: personRuleId, confidence: 0.7 });
  }
  return findings;
}

/**
 * Whether two words are neighbours in one name: one space between them, or a dot and a space
 * after an initial ("P. Sedláčková") or, when `honorifics` are given, after one ("Dr. Okafor").
 */
function joined(text: string, left: Word, right: Word, honorifics?: ReadonlySet<string>): boolean {
  const gap = text.slice(left.end, right.start);
  if (gap === ' ') return true;
  return gap === '. ' && ((left.capitalised && left.text.length === 1) || !!honorifics?.has(left.lower));
}

/** The positions right after each introduction phrase and its whitespace (where a name would start). */
function startsAfter(text: string, phrases: RegExp): Set<number> {
  const starts = new Set<number>();
  for (const match of text.matchAll(phrases)) {
    if (match[0].length <= introductionWindow) starts.add(match.index + match[0].length);
  }
  return starts;
}
