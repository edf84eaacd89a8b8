/**
 * Content terms for matching a question against sentences: NFKC-normalised, lowercased,
 * stopwords dropped, with a light suffix folding so "refunds", "refunded" and "refund" meet.
 * Deliberately small: the extractive model must be predictable enough to test exactly.
 */

const stopwords = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here ' +
    'hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of ' +
    'off on once only or other our ours ourselves out over own same she should so some such than that the their ' +
    'theirs them themselves then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with would you your yours yourself yourselves ' +
    'also may might must shall us let lets get gets got tell please much many'
  ).split(' '),
);

const wordPattern = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** The content terms of `text`, in order, with repeats. */
export function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(wordPattern)) {
    const word = match[0].replace(/['’]s$/u, '').replace(/['’]/gu, '');
    if (word.length === 0 || stopwords.has(word)) continue;
    terms.push(foldSuffix(word));
  }
  return terms;
}

/** A conservative stemmer: plural and verb inflections only, leaving short words alone. */
export function foldSuffix(word: string): string {
  if (word.length < 4 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(?:ches|shes|xes|zes)$/.test(word) && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  if (word.endsWith('ing') && word.length > 6) return undouble(word.slice(0, -3));
  if (word.endsWith('ed') && word.length > 5) return undouble(word.slice(0, -2));
  return word;
}

// "stopped" → "stopp" → "stop"; keeps "ll"/"ss"/"zz", which English doubles in the stem itself.
function undouble(stem: string): string {
  const last = stem.at(-1);
  if (last && stem.at(-2) === last && !'lsz'.includes(last)) return stem.slice(0, -1);
  return stem;
}
