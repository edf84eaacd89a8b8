/**
 * "Ignore the previous instructions" in the languages other than English that attacks are most
 * often written in: the English cues of injection-detector.ts do not see "ignora todas las
 * instrucciones anteriores" or "忽略之前的所有指令", and a user who writes in Spanish is attacked in
 * Spanish. Each language names verbs of dismissal (imperatives: "si ignoras las instrucciones" is
 * no order), words for instructions or rules, and words that point back at them ("previous",
 * "all", "above", "system"). A finding is the verb and the object in the language's order within
 * one sentence, either next to each other (at most an article between: "ignora las
 * instrucciones", as the English cue reads "ignore the instructions") or with a pointer among
 * them or around them (Romance adjectives follow their noun). "Vergiss nicht, die Anweisungen zu
 * lesen" has neither.
 *
 * The words are written in their own script and folded as the text is (`normalisePhrase`:
 * NFKC, Cyrillic look-alikes to Latin, lowercase), in each case they may be written in, so they
 * match the matching text.
 */
import { normalisePhrase } from '../normalisation/matching-text.js';

interface Language {
  verbs: readonly string[];
  objects: readonly string[];
  pointers: readonly string[];
  /** The object comes before the verb ("önceki talimatları yok say", "以前の指示を無視"). */
  verbLast?: boolean;
  /** No spaces between words: no word boundaries, and a shorter reach. */
  unspaced?: boolean;
}

const languages: Record<string, Language> = {
  es: {
    verbs: [
      'ignora',
      'ignore',
      'ignoren',
      'ignorar',
      'olvida',
      'olvide',
      'olviden',
      'olvidar',
      'omite',
      'omita',
      'descarta',
      'descarte',
      'desatiende',
      'haz caso omiso de',
      'no hagas caso de',
      'no sigas',
      'no siga',
      'deja de seguir',
    ],
    objects: [
      'instrucciones',
      'instrucción',
      'indicaciones',
      'reglas',
      'órdenes',
      'directrices',
      'restricciones',
      'normas',
    ],
    pointers: [
      'anteriores',
      'anterior',
      'previas',
      'previa',
      'todas',
      'todo',
      'arriba',
      'sistema',
      'originales',
      'iniciales',
    ],
  },
  fr: {
    verbs: [
      'ignore',
      'ignorez',
      'ignorer',
      'oublie',
      'oubliez',
      'oublier',
      'ne tiens pas compte',
      'ne tenez pas compte',
      'fais abstraction',
      'faites abstraction',
      'ne suis pas',
      'ne suivez pas',
      'ne suis plus',
      'ne suivez plus',
    ],
    objects: ['instructions', 'consignes', 'règles', 'directives', 'ordres', 'indications'],
    pointers: [
      'précédentes',
      'précédente',
      'antérieures',
      'toutes',
      'tous',
      'ci-dessus',
      'système',
      'initiales',
      'originales',
    ],
  },
  de: {
    verbs: ['ignoriere', 'ignorier', 'ignorieren', 'vergiss', 'vergesst', 'vergessen', 'missachte', 'missachten'],
    objects: [
      'anweisungen',
      'anweisung',
      'instruktionen',
      'regeln',
      'vorgaben',
      'befehle',
      'richtlinien',
      'anordnungen',
    ],
    pointers: [
      'vorherigen',
      'vorherige',
      'bisherigen',
      'vorigen',
      'alle',
      'alles',
      'obigen',
      'oben',
      'system',
      'ursprünglichen',
    ],
  },
  it: {
    verbs: [
      'ignora',
      'ignori',
      'ignorate',
      'ignorare',
      'dimentica',
      'dimentichi',
      'dimenticate',
      'dimenticare',
      'trascura',
      'tralascia',
      'non seguire',
      'non seguite',
    ],
    objects: ['istruzioni', 'istruzione', 'regole', 'indicazioni', 'direttive', 'ordini'],
    pointers: ['precedenti', 'precedente', 'tutte', 'tutti', 'sopra', 'sistema', 'originali', 'iniziali'],
  },
  pt: {
    verbs: [
      'ignore',
      'ignora',
      'ignorem',
      'ignorar',
      'esqueça',
      'esqueca',
      'esqueçam',
      'esquecer',
      'desconsidere',
      'desconsidera',
      'desconsiderar',
      'não siga',
      'nao siga',
      'pare de seguir',
      'descarte',
    ],
    objects: ['instruções', 'instrucoes', 'instrução', 'regras', 'orientações', 'diretrizes', 'ordens', 'comandos'],
    pointers: ['anteriores', 'anterior', 'prévias', 'todas', 'todos', 'acima', 'sistema', 'originais', 'iniciais'],
  },
  nl: {
    verbs: ['negeer', 'negeren', 'vergeet', 'vergeten'],
    objects: ['instructies', 'instructie', 'regels', 'aanwijzingen', 'opdrachten', 'richtlijnen'],
    pointers: ['vorige', 'eerdere', 'voorgaande', 'alle', 'bovenstaande', 'systeem', 'oorspronkelijke'],
  },
  pl: {
    verbs: ['zignoruj', 'ignoruj', 'zignorujcie', 'zapomnij', 'zapomnijcie', 'pomiń'],
    objects: ['instrukcje', 'instrukcji', 'polecenia', 'poleceń', 'zasady', 'zasad', 'reguły', 'wytyczne'],
    pointers: ['poprzednie', 'poprzednich', 'wcześniejsze', 'wszystkie', 'wszystkich', 'powyższe', 'systemowe'],
  },
  ru: {
    verbs: [
      'игнорируй',
      'игнорируйте',
      'проигнорируй',
      'проигнорируйте',
      'забудь',
      'забудьте',
      'не обращай внимания на',
      'не следуй',
      'не выполняй',
    ],
    objects: [
      'инструкции',
      'инструкций',
      'инструкциям',
      'указания',
      'указаний',
      'указаниям',
      'правила',
      'правил',
      'правилам',
      'команды',
      'командам',
    ],
    pointers: [
      'предыдущие',
      'предыдущих',
      'все',
      'всех',
      'прежние',
      'вышеуказанные',
      'системные',
      'изначальные',
      'предыдущим',
      'всем',
      'прежним',
    ],
  },
  uk: {
    verbs: ['ігноруй', 'проігноруй', 'забудь'],
    objects: ['інструкції', 'вказівки', 'правила'],
    pointers: ['попередні', 'всі', 'усі', 'системні'],
  },
  tr: {
    verbs: ['yok say', 'görmezden gel', 'unut', 'dikkate alma', 'boş ver'],
    objects: ['talimatları', 'talimatlar', 'kuralları', 'yönergeleri', 'komutları'],
    pointers: ['önceki', 'tüm', 'bütün', 'yukarıdaki', 'sistem'],
    verbLast: true,
  },
  id: {
    verbs: ['abaikan', 'lupakan', 'acuhkan'],
    objects: ['instruksi', 'perintah', 'aturan', 'arahan', 'petunjuk'],
    pointers: ['sebelumnya', 'semua', 'di atas', 'sistem'],
  },
  ar: {
    verbs: ['تجاهل', 'تجاهلي', 'تجاهلوا', 'انس', 'انسى'],
    objects: ['التعليمات', 'الإرشادات', 'القواعد', 'الأوامر'],
    pointers: ['السابقة', 'كل', 'جميع', 'أعلاه', 'النظام'],
  },
  hi: {
    verbs: ['अनदेखा', 'नज़रअंदाज़', 'नजरअंदाज', 'भूल जाओ', 'भूल जाएं'],
    objects: ['निर्देशों', 'निर्देश', 'नियमों', 'आदेशों'],
    pointers: ['पिछले', 'पिछली', 'सभी', 'सारे', 'ऊपर'],
    verbLast: true,
  },
  zh: {
    verbs: ['忽略', '无视', '忽视', '忘记', '忘掉', '不要理会', '不理会', '不要遵守', '不要遵循', '别管'],
    objects: ['指令', '指示', '说明', '规则', '提示', '要求', '命令'],
    pointers: ['之前', '以前', '先前', '上面', '上述', '所有', '全部', '系统'],
    unspaced: true,
  },
  ja: {
    verbs: ['無視', '忘れ', '従わ'],
    objects: ['指示', '命令', '指令', 'ルール', '規則'],
    pointers: ['以前', '前の', 'これまで', '上記', 'すべて', '全て', 'システム'],
    verbLast: true,
    unspaced: true,
  },
  ko: {
    verbs: ['무시', '잊어', '따르지 말', '따르지 마'],
    objects: ['지시', '명령', '지침', '규칙'],
    pointers: ['이전', '위의', '모든', '앞의', '시스템'],
    verbLast: true,
    // Particles join their word ("지시를 무시하고"): no boundaries to look for.
    unspaced: true,
  },
};

/** How far the second word may be from the first, and a pointer from the pair, in characters. */
const reach = { spaced: 48, unspaced: 14, pointer: 32 };
const sentenceEnd = /[.!?。！？\n]/;
const letter = /[\p{L}\p{M}]/u;

/**
 * The forms a word takes in the matching text. Look-alikes are folded by their case (a capital
 * Cyrillic `Н` reads as `h`, a small `н` stays), so a word written lower-case, capitalised at a
 * sentence start or in capitals each fold apart.
 */
function foldedForms(phrase: string): string[] {
  const capitalised = phrase.charAt(0).toUpperCase() + phrase.slice(1);
  return [...new Set([phrase, capitalised, phrase.toUpperCase()].map(normalisePhrase))];
}

const escapeRegExp = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternation = (words: readonly string[]) =>
  [...new Set(words.flatMap(foldedForms))]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');

interface CompiledLanguage {
  /** Over the whole text (unspaced languages): plain alternatives, no boundaries. */
  first: RegExp;
  /** The same, sticky: at a candidate position. */
  firstAt: RegExp;
  /** Over a short window: whole words where the language has spaces. */
  second: RegExp;
  pointer: RegExp;
  spaced: boolean;
}

/** Whole words: no letter or mark just before or after. */
const wholeWords = (words: string) => new RegExp(`(?<![\\p{L}\\p{M}])(?:${words})(?![\\p{L}\\p{M}])`, 'u');

const compiled: readonly CompiledLanguage[] = Object.values(languages).map((language) => {
  const [first, second] = language.verbLast ? [language.objects, language.verbs] : [language.verbs, language.objects];
  const spaced = !language.unspaced;
  const words = (list: readonly string[]) =>
    spaced ? wholeWords(alternation(list)) : new RegExp(alternation(list), 'u');
  return {
    first: new RegExp(alternation(first), 'g'),
    firstAt: new RegExp(alternation(first), 'y'),
    second: words(second),
    pointer: words(language.pointers),
    spaced,
  };
});

// Between adjacent words: spaces, or one short word (an article, a particle) and spaces.
const spacedGap = /^\s+(?:[\p{L}\p{M}]{1,4}\s+)?$/u;

function adjacent(gap: string, spaced: boolean): boolean {
  return spaced ? spacedGap.test(gap) : gap.length <= 2;
}

const isLetter = (character: string | undefined) => character !== undefined && letter.test(character);

/** The text up to the first sentence end. */
function withinSentence(text: string): string {
  const end = text.search(sentenceEnd);
  return end === -1 ? text : text.slice(0, end);
}

/** The text after the last sentence end. */
function sentenceTail(text: string): string {
  for (let index = text.length - 1; index >= 0; index--) {
    if (sentenceEnd.test(text[index] ?? '')) return text.slice(index + 1);
  }
  return text;
}

/**
 * Where to look: the spaced languages by the first word of their first phrases (a set lookup per
 * word of the text is a tenth of the cost of a pattern of a hundred alternatives over it), the
 * unspaced ones only in a text with characters of their scripts.
 */
const byFirstWord = new Map<string, CompiledLanguage[]>();
for (const [index, language] of Object.values(languages).entries()) {
  const compiledLanguage = compiled[index];
  if (!compiledLanguage?.spaced) continue;
  for (const phrase of language.verbLast ? language.objects : language.verbs) {
    for (const form of foldedForms(phrase)) {
      const word = form.split(' ')[0] ?? '';
      byFirstWord.set(word, [...new Set([...(byFirstWord.get(word) ?? []), compiledLanguage])]);
    }
  }
}
// Most words of a text cannot be a key: their length or first letter says so without a slice.
const keyLengths = new Set([...byFirstWord.keys()].map((word) => word.length));
const keyFirstCodes = new Set([...byFirstWord.keys()].map((word) => word.charCodeAt(0)));
const unspacedLanguages = compiled.filter((language) => !language.spaced);
const unspacedScripts = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;

/** A character of a word: an ASCII letter, or any character past Latin-1's symbols but punctuation. */
function isWordCode(code: number): boolean {
  if (code < 0xc0)
    return (
      (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x41 && code <= 0x5a) ||
      code === 0xaa ||
      code === 0xb5 ||
      code === 0xba
    );
  return !(
    code === 0xd7 ||
    code === 0xf7 ||
    (code >= 0x2000 && code <= 0x206f) ||
    (code >= 0x3000 && code <= 0x303f) ||
    (code >= 0xff00 && code <= 0xff0f) ||
    (code >= 0xff1a && code <= 0xff20) ||
    code === 0x060c ||
    code === 0x061b ||
    code === 0x061f ||
    code === 0x0964 ||
    code === 0x0965
  );
}

/** Where a language's first phrase may start: word starts whose word begins one of its phrases. */
function candidates(matching: string): { language: CompiledLanguage; start: number }[] {
  const found: { language: CompiledLanguage; start: number }[] = [];
  let start = -1;
  // One pass past the end, so that the last word is closed like the others.
  for (let index = 0; index <= matching.length; index++) {
    const inWord = index < matching.length && isWordCode(matching.charCodeAt(index));
    if (inWord) {
      if (start === -1) start = index;
      continue;
    }
    if (start === -1) continue;
    if (keyLengths.has(index - start) && keyFirstCodes.has(matching.charCodeAt(start))) {
      for (const language of byFirstWord.get(matching.slice(start, index)) ?? []) found.push({ language, start });
    }
    start = -1;
  }
  if (unspacedScripts.test(matching)) {
    for (const language of unspacedLanguages) {
      for (const match of matching.matchAll(language.first)) found.push({ language, start: match.index });
    }
  }
  return found;
}

/** Spans (offsets of the matching text given) of "ignore the previous instructions" in other languages. */
export function findForeignOverrides(matching: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  for (const { language, start } of candidates(matching)) {
    language.firstAt.lastIndex = start;
    const first = language.firstAt.exec(matching);
    if (!first) continue;
    const afterFirst = start + first[0].length;
    if (language.spaced && isLetter(matching[afterFirst])) continue;
    const window = withinSentence(
      matching.slice(afterFirst, afterFirst + (language.spaced ? reach.spaced : reach.unspaced)),
    );
    const second = language.second.exec(window);
    if (!second) continue;
    const end = afterFirst + second.index + second[0].length;
    if (adjacent(window.slice(0, second.index), language.spaced)) {
      spans.push({ start, end });
      continue;
    }
    // A pointer may come before the first word too: "önceki talimatları yok say".
    const before = sentenceTail(matching.slice(Math.max(0, start - reach.pointer), start));
    const after = withinSentence(matching.slice(end, end + reach.pointer));
    if (language.pointer.test(`${before} ${matching.slice(start, end)} ${after}`)) spans.push({ start, end });
  }
  return spans;
}
