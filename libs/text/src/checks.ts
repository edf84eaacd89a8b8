// @keel/text/checks: the dependency-free checks, for code that must not load the tokenizer and
// the Markdown parser with them (the evaluation scoring worker, for example: 0.3 s and 48 MB).
export { isBlankText } from './blank-text.js';
export { passesLuhn } from './luhn.js';
