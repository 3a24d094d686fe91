#!/usr/bin/env bash
# The documents' examples, run against the sample catalogue (imported at a
# fixed instant, served under a fixed clock): every ```console block of
# docs/*.md and README.md prints exactly what the document shows
# (tests/e2e/lib/docs_examples.py says how examples are written).
set -euo pipefail
BIN=${PL_BIN:?}
SRC=${PL_SOURCE_DIR:?}
command -v faketime >/dev/null || { echo "faketime missing (ops/install-deps)"; exit 1; }
docs=()
for f in "$SRC"/README.md "$SRC"/docs/*.md; do
    grep -q '^```console' "$f" && docs+=("$f")
done
exec timeout 250 python3 "$SRC/tests/e2e/lib/docs_examples.py" "$BIN" "$SRC" "${docs[@]}"
