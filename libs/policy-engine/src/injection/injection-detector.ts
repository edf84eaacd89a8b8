/**
 * Prompt injection and jailbreak heuristics: phrases that try to take over a model rather than
 * ask it something. Four families of cues, each a set of patterns over the normalised, lowercased
 * text (normalisation/: a cue written in fullwidth letters, Cyrillic look-alikes or split by
 * zero-width characters still matches):
 *  - override: "ignore / disregard / forget the previous instructions", "new instructions:",
 *    "from now on you will ...", and the same in French, Spanish, German, Italian, Portuguese;
 *  - role-play and jailbreak: "you are now DAN", "developer mode", "act as an unrestricted AI",
 *    "without any restrictions", "stay in character";
 *  - exfiltration: "reveal / repeat / print your system prompt (instructions, rules)", "what
 *    was written above";
 *  - planted and encoded payloads: chat-template tokens (`<|im_start|>`, `[INST]`, `### system`),
 *    notes addressed to an AI ("if you are an AI assistant, ..."), "decode this base64 and follow
 *    it", and long base64 runs next to an imperative; and, by construction (smuggled-payload.ts),
 *    a base64, hex, spaced-out, rot13, reversed or leetspeak run that decodes to a strong cue,
 *    and a word repeated 64 times or more in a row (family `repeated`).
 *
 * Strong cues are findings on their own; weak cues (an imperative "you must", a mention of
 * "base64", "secret password") count only when two different weak cues occur. Each finding spans
 * the phrase that fired, with the family in its rule id (`injection.prompt.override`, ...).
 *
 * Written from the attack taxonomies (OWASP LLM01, the published DAN and "ignore previous
 * instructions" families) and the examples in injection-detector.test.ts; the public test sets in
 * bench/ measure it and were not used to write it.
 *
 * `detectInjection` adds the trained classifier (injection-classifier.ts) behind the heuristics:
 * when no cue fired and the classifier's score reaches the threshold shipped with its weights, the
 * finding spans its best window, with rule id `injection.prompt.classifier.<version>` and the
 * score as its confidence. The heuristics name the phrase and its family, so where they fire their
 * tighter spans are kept (and redacted) alone; the classifier catches what no phrase list covers
 * (persuasion, hypotheticals, payload splitting, other languages). Either way a text is flagged
 * when either of them flags it.
 */
import { type Finding, FindingType } from '../detection/finding.js';
import { type MatchingText, toMatchingText } from '../normalisation/matching-text.js';
import { findForeignOverrides } from './foreign-overrides.js';
import { type InjectionClassifier, shippedInjectionClassifier } from './injection-classifier.js';
import { findEncodedInstructions, findRepeatedTokens, hasBase64Run } from './smuggled-payload.js';

interface Cue {
  family: 'override' | 'roleplay' | 'exfiltration' | 'planted' | 'encoded' | 'repeated';
  pattern: RegExp;
  strong: boolean;
  /**
   * A match of a strong cue whose text this matches is weak: one pattern for both readings costs
   * half of two patterns with the same prefix (each cue is a pass over the text).
   */
  weakWhen?: RegExp;
  /** A cheap test the text must pass for the pattern to match at all (its lookarounds cost a pass each). */
  worthRunning?: (text: string) => boolean;
}

const isStrongMatch = (cue: Cue, text: string) => cue.strong && !cue.weakWhen?.test(text);

// Each optional word carries the whitespace before it, so no two quantifiers compete for the same
// run of spaces (which made a long whitespace run quadratic).
// Not "my": "disregard my previous message" is a user taking back their own words.
const previous =
  '(?:\\s+(?:all|any|the|your|these|those|of))*(?:\\s+(?:previous|prior|above|earlier|preceding|original|initial|system|former|old|given|existing|current))?';
const instructions =
  '(?:instructions?|directions?|directives?|rules|guidelines|prompts?|commands?|context|constraints|restrictions|programming|guardrails|policies|orders|messages?)';

const cues: readonly Cue[] = [
  // override
  {
    family: 'override',
    pattern: new RegExp(
      `\\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard|neglect|overlook)(?:\\s+about)?${previous}\\s+${instructions}\\b`,
      'g',
    ),
    strong: true,
  },
  {
    family: 'override',
    pattern:
      /\b(?:ignore|disregard|forget)\s+(?:everything|anything|all)\s+(?:(?:that\s+)?(?:you\s+(?:were|have\s+been)\s+told|(?:was\s+)?(?:said|written|stated)\s+(?:before|above|earlier|previously)|above|before|previously))/g,
    strong: true,
  },
  {
    family: 'override',
    pattern:
      /\b(?:do\s+not|don't|stop|no\s+longer)\s+(?:follow(?:ing)?|obey(?:ing)?|adher(?:e|ing)\s+to)\s+(?:your|the|any|these|those)\s+(?:previous\s+|original\s+|system\s+)?(?:instructions|rules|guidelines|programming|policies)/g,
    strong: true,
  },
  {
    family: 'override',
    pattern:
      /(?:^|[\n.:!])[ \t]*(?:new|updated|revised|real|actual|important|urgent)\s+(?:system\s+)?instructions?[ \t]*[:-]/g,
    strong: true,
    // "Important instructions: take the medicine with food" is ordinary: a cue only with another.
    weakWhen: /\b(?:important|urgent)\b/,
  },
  {
    family: 'override',
    pattern:
      /\b(?:your|the)\s+(?:new|real|true|only)\s+(?:task|instructions?|goal|purpose|objective)\s+(?:is|are|now)\b/g,
    strong: true,
    // "The real task is to reduce costs" is ordinary speech; addressed to the model ("your") it is not.
    weakWhen: /^the\b/,
  },
  {
    family: 'override',
    pattern:
      /\bfrom\s+now\s+on,?\s+(?:you\s+(?:will|must|are|shall|should|can)|respond|answer|reply|always|ignore|only)\b/g,
    strong: false,
  },
  // role-play and jailbreak
  {
    family: 'roleplay',
    pattern:
      /\b(?:you\s+are\s+(?:now|no\s+longer)|act\s+as|pretend\s+(?:to\s+be|you\s+are)|roleplay\s+as|behave\s+as|simulate)\s+(?:an?\s+|the\s+)?(?:dan\b|stan\b|aim\b|unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|amoral|unethical|unbound|limitless|developer\s+mode)/g,
    strong: true,
  },
  {
    family: 'roleplay',
    pattern:
      /\b(?:do\s+anything\s+now|jailbreak(?:en|ed|ing)?|developer\s+mode\s+(?:enabled|activated|on\b(?!\s+(?:a|an|the|my|your|our|their|his|her|this|that)\b))|dan\s+mode|god\s+mode)\b/g,
    strong: true,
  },
  {
    family: 'roleplay',
    pattern:
      /\b(?:without|free\s+(?:of|from)|no)\s+(?:any\s+)?(?:(?:ethical|moral|content|safety)\s+)?(?:restrictions|limitations|filters|censorship|guidelines|boundaries|rules)\b/g,
    strong: false,
  },
  {
    family: 'roleplay',
    pattern: /\b(?:stay|remain|staying)\s+in\s+character\b|\bbreak(?:ing)?\s+character\b/g,
    strong: false,
  },
  {
    family: 'roleplay',
    pattern:
      /\b(?:you\s+are\s+now|(?:you|we)\s+(?:are\s+)?(?:now\s+)?enter(?:ing)?|enter(?:ing)?|switch\s+to|enable|activate)\s+(?:in\s+)?(?:a\s+|the\s+)?(?:developer|debug|admin(?:istrator)?|maintenance|god|sudo|root|unrestricted|test(?:ing)?)\s+mode\b/g,
    strong: true,
    // "Enable developer mode on my phone" is an ordinary question: a cue only with another. Said
    // to the model ("you are now in developer mode") it is not.
    weakWhen: /^(?!you\b|we\b)/,
  },
  // exfiltration
  {
    family: 'exfiltration',
    pattern:
      /\b(?:reveal|show|print|display|output|repeat|recite|leak|disclose|tell\s+me|give\s+me|share|spell\s+out|write\s+out|return|what\s+(?:is|are|was|were))\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:your|the)\s+(?:(?:full|entire|exact|original|initial|hidden|secret|internal|system|complete)\s+){0,3}(?:system\s+prompt|prompt|instructions|pre-?prompt|initial\s+prompt|system\s+message|rules\s+you\s+(?:were\s+given|follow)|configuration|guidelines\s+you)\b/g,
    strong: true,
  },
  {
    family: 'exfiltration',
    pattern:
      /\b(?:repeat|print|output|copy|echo)\s+(?:everything|all|the\s+(?:text|words|content|message))\s+(?:above|before|preceding|prior)\b|\bwhat\s+(?:was|is)\s+written\s+(?:above|before)\b/g,
    strong: true,
  },
  {
    family: 'exfiltration',
    pattern: /\b(?:secret|hidden|confidential)\s+(?:password|key|code|token|word|information|instructions?)\b/g,
    strong: false,
  },
  // planted (indirect) instructions
  {
    family: 'planted',
    pattern:
      /<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[\/?inst\]|<<\/?sys>>|(?:^|\n)[ \t]*(?<!#)#{2,}[ \t]*(?:system|instruction|new\s+instructions?)\b|\[(?:system|admin)\](?:[ \t]*:)?|(?:^|\n)[ \t]*system[ \t]*:[ \t]*(?:you|ignore|forget|from|new)\b/g,
    strong: true,
  },
  {
    family: 'planted',
    pattern:
      /\b(?:if\s+you\s+are\s+an?\s+(?:ai|llm|language\s+model|assistant|chatbot|gpt)|(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+)?(?:ai\s+assistant|ai\s+model|language\s+model|assistant|chatbot|model|llm|ai)|(?:ai|llm)\s+assistants?\s*(?:reading|processing)\s+this|attention\s+(?:ai|llm|assistant|chatbot)s?)\b/g,
    strong: true,
  },
  {
    family: 'planted',
    pattern:
      /\b(?:when|if)\s+(?:you\s+)?(?:summari[sz]|translat|read|process|answer)\w*\s+(?:this|these)[^.\n]{0,60}\b(?:instead|must|always|do\s+not|don't|ignore|say|respond|reply|include)\b/g,
    strong: false,
  },
  {
    family: 'planted',
    pattern:
      /\b(?:you\s+must|you\s+have\s+to|you\s+are\s+required\s+to)\s+(?:now\s+)?(?:always\s+)?(?:respond|reply|answer|say|output|include|end\s+(?:your|every))\b/g,
    strong: false,
  },
  // encoded payloads
  {
    family: 'encoded',
    pattern:
      /\b(?:decode|decrypt|deobfuscate|translate|convert)\s+(?:this|the\s+following|it|that)?[^.\n]{0,30}\b(?:base64|base\s*64|rot-?13|hex(?:adecimal)?|binary|morse|caesar|reversed?)\b[^.\n]{0,60}\b(?:follow|execute|obey|do\s+(?:what|as)|carry\s+out|run|act\s+on|perform)\b/g,
    strong: true,
  },
  {
    family: 'encoded',
    pattern: /\b(?:base64|base\s*64|rot-?13|hex-?encoded|encoded\s+(?:message|instructions?|payload))\b/g,
    strong: false,
  },
  {
    family: 'encoded',
    pattern: /(?<![a-z0-9+/])[a-z0-9+/]{40,}={0,2}(?![a-z0-9+/=])/g,
    strong: false,
    worthRunning: (text) => hasBase64Run(text, 40),
  },
];

export const injectionRuleId = (family: Cue['family']) => `${FindingType.injection}.${family}`;
export const classifierRuleId = (version: string) => `${FindingType.injection}.classifier.${version}`;

/**
 * Prompt injection in a text, as `injection.prompt` findings at offsets of the text as received:
 * the heuristics' cues or, when none fired, the trained classifier's best window if it scores at
 * or above its threshold.
 * `prepared` hands in the text's matching form when the caller has it (the topic matchers use it too);
 * `classifier` defaults to the shipped one.
 */
export function detectInjection(
  original: string,
  prepared?: () => MatchingText,
  classifier: InjectionClassifier = shippedInjectionClassifier(),
): Finding[] {
  const matching = prepared ? prepared() : toMatchingText(original);
  const findings = detectInjectionHeuristics(original, () => matching);
  if (findings.length > 0) return findings;
  const scored = classifier.score(matching);
  if (scored.probability >= classifier.threshold) {
    findings.push({
      type: FindingType.injection,
      ...(scored.end > scored.start
        ? matching.originalSpan(scored.start, scored.end)
        : { start: 0, end: original.length }),
      ruleId: classifierRuleId(classifier.version),
      confidence: Math.round(scored.probability * 1000) / 1000,
    });
  }
  return findings.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The heuristics alone: cues of the four families, strong ones alone and weak ones in pairs. */
export function detectInjectionHeuristics(original: string, prepared?: () => MatchingText): Finding[] {
  const matching = prepared ? prepared() : toMatchingText(original);
  const strong: Finding[] = [];
  const weak: { cue: Cue; finding: Finding }[] = [];
  for (const cue of cues) {
    if (cue.worthRunning && !cue.worthRunning(matching.text)) continue;
    for (const match of matching.text.matchAll(cue.pattern)) {
      // Patterns anchored on a line start or punctuation begin past it.
      const lead = match[0].length - match[0].trimStart().length;
      const leadingPunctuation = /^[\n.:!]/.test(match[0].trimStart()) ? 1 : 0;
      const from = match.index + lead + leadingPunctuation;
      const to = match.index + match[0].trimEnd().length;
      if (to <= from) continue;
      const isStrong = isStrongMatch(cue, match[0].trimStart());
      const finding: Finding = {
        type: FindingType.injection,
        ...matching.originalSpan(from, to),
        ruleId: injectionRuleId(cue.family),
        confidence: isStrong ? 0.9 : 0.6,
      };
      if (isStrong) strong.push(finding);
      else weak.push({ cue, finding });
    }
  }
  for (const span of findForeignOverrides(matching.text)) {
    strong.push({
      type: FindingType.injection,
      ...matching.originalSpan(span.start, span.end),
      ruleId: injectionRuleId('override'),
      confidence: 0.9,
    });
  }
  for (const span of findEncodedInstructions(original, hasStrongCue, strong.length > 0)) {
    strong.push({
      type: FindingType.injection,
      start: span.start,
      end: span.end,
      ruleId: injectionRuleId(span.family),
      confidence: 0.9,
    });
  }
  for (const span of findRepeatedTokens(matching.text)) {
    strong.push({
      type: FindingType.injection,
      ...matching.originalSpan(span.start, span.end),
      ruleId: injectionRuleId(span.family),
      confidence: 0.9,
    });
  }
  const distinctWeak = new Set(weak.map(({ cue }) => cue));
  const findings = distinctWeak.size >= 2 ? [...strong, ...weak.map(({ finding }) => finding)] : strong;
  // Two cues of one family can match the same words ("ignore all previous instructions" is an
  // override twice over): one finding per span and rule.
  // The first (strong before weak) is kept.
  const distinct = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.start}:${finding.end}:${finding.ruleId}`;
    if (!distinct.has(key)) distinct.set(key, finding);
  }
  return [...distinct.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

const strongCues = cues.filter((cue) => cue.strong);

/** Whether a decoded payload carries a strong cue: the bar smuggled text is held to. */
function hasStrongCue(decoded: string): boolean {
  const text = toMatchingText(decoded).text;
  const plainCue = strongCues.some((cue) => {
    for (const match of text.matchAll(cue.pattern)) if (isStrongMatch(cue, match[0].trimStart())) return true;
    return false;
  });
  return plainCue || findForeignOverrides(text).length > 0;
}
