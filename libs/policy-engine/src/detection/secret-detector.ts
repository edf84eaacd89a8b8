/**
 * Secrets: credentials with a published shape (cloud keys, platform tokens, private key blocks,
 * JWTs), and high-entropy values assigned to something called a key, secret, token or password.
 *
 * The shapes are the ones the providers document and secret scanners (secretlint's presets,
 * gitleaks) use. secretlint itself is not used on this path: its `lintSource` API is
 * asynchronous (a promise per text, rules loaded through its config machinery) and its presets
 * would add a dozen packages, where a Check is synchronous with a budget of 2 ms for 2 KB; it was
 * not installed or measured. Every pattern below is a single pass without nested quantifiers
 * (linear time), and long bodies are bounded.
 */
import { FindingType, type ScannedFinding, type SecretFindingType } from './finding.js';

interface SecretRule {
  id: string;
  type: SecretFindingType;
  pattern: RegExp;
  confidence: number;
  /** The capture group holding the secret, when the match includes context. */
  group?: number;
}

const rules: readonly SecretRule[] = [
  {
    id: 'secret.private_key.pem-block',
    type: FindingType.privateKey,
    // A whole block when its END line follows within 16 KB, else the BEGIN line with what follows it.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,-]{0,16384})/g,
    confidence: 0.99,
  },
  {
    id: 'secret.jwt.three-part',
    type: FindingType.jwt,
    pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![\w-])/g,
    confidence: 0.95,
  },
  {
    id: 'secret.aws_access_key.id',
    type: FindingType.awsAccessKey,
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    confidence: 0.95,
  },
  {
    id: 'secret.gcp_api_key.aiza',
    type: FindingType.gcpApiKey,
    pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g,
    confidence: 0.95,
  },
  {
    id: 'secret.azure_storage_key.account-key',
    type: FindingType.azureStorageKey,
    pattern: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
    confidence: 0.95,
    group: 1,
  },
  {
    id: 'secret.azure_client_secret.q-tilde',
    type: FindingType.azureClientSecret,
    pattern: /(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])/g,
    confidence: 0.9,
  },
  {
    id: 'secret.github_token.prefixed',
    type: FindingType.githubToken,
    pattern: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})(?![\w-])/g,
    confidence: 0.97,
  },
  {
    id: 'secret.slack_token.xox',
    type: FindingType.slackToken,
    pattern: /(?<![\w-])xox[abposer]-(?:[0-9]{1,20}-){1,3}[A-Za-z0-9-]{8,100}(?![\w-])/g,
    confidence: 0.95,
  },
  {
    id: 'secret.slack_webhook.url',
    type: FindingType.slackWebhook,
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9_/]{20,120}/g,
    confidence: 0.95,
  },
  {
    id: 'secret.stripe_key.live-test',
    type: FindingType.stripeKey,
    pattern: /(?<![\w-])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{20,247}(?![\w-])/g,
    confidence: 0.95,
  },
  {
    id: 'secret.anthropic_key.sk-ant',
    type: FindingType.anthropicKey,
    pattern: /(?<![\w-])sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}(?![\w-])/g,
    confidence: 0.97,
  },
  {
    id: 'secret.openai_key.sk',
    type: FindingType.openaiKey,
    pattern: /(?<![\w-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}(?![\w-])/g,
    confidence: 0.97,
  },
];

// `<cue> = value`, `"<cue>": "value"`, `<cue> is value`: the value after a key/secret/token cue.
const cuedValue =
  /\b(?:[a-z0-9_.-]{0,30}[_.-])?(?:api[_.-]?key|access[_.-]?key|secret(?:[_.-]?key)?|client[_.-]?secret|token|auth[_.-]?token|password|passwd|pwd|credentials?|private[_.-]?key)["']?\s{0,3}(?:[:=]|:=|=>|\bis\b)\s{0,3}["']?([A-Za-z0-9+/_~.=-]{16,512})/gi;
const minEntropyBits = 3.5;

export const highEntropyRuleId = 'secret.high_entropy.cued';

export function detectSecrets(text: string): ScannedFinding[] {
  const findings: ScannedFinding[] = [];
  for (const rule of rules) {
    rule.pattern.lastIndex = 0;
    for (const match of text.matchAll(rule.pattern)) {
      const secret = rule.group ? (match[rule.group] as string) : match[0];
      const start = match.index + (rule.group ? match[0].lastIndexOf(secret) : 0);
      findings.push({
        type: rule.type,
        start,
        end: start + secret.length,
        ruleId: rule.id,
        confidence: rule.confidence,
      });
    }
  }
  for (const match of text.matchAll(cuedValue)) {
    const value = (match[1] as string).replace(/[.=-]+$/, (tail) => (tail.startsWith('=') ? tail : ''));
    if (!looksRandom(value)) continue;
    const start = match.index + match[0].length - (match[1] as string).length;
    findings.push({
      type: FindingType.highEntropy,
      start,
      end: start + value.length,
      ruleId: highEntropyRuleId,
      confidence: 0.8,
    });
  }
  return findings;
}

/** At least two character classes, a digit among them, and 3.5 bits of Shannon entropy per character. */
export function looksRandom(value: string): boolean {
  if (value.length < 16 || !/\d/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[+/_~.=-]/].filter((pattern) => pattern.test(value)).length;
  return classes >= 2 && shannonEntropy(value) >= minEntropyBits;
}

export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
