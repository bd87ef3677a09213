#!/usr/bin/env bash
# Regenerates docs/report.png, the README's picture of the report: the demo store's report
# (run `make demo` first), rendered by headless Chromium at 1000×820.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE="${1:-./imr-data}"
BIN="$(swift build -c release --show-bin-path)"
OUT="$(mktemp -d)"
"$BIN/imr" report "$STORE" --out "$OUT/report.html"
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,820 \
  --screenshot="$PWD/docs/report.png" "file://$OUT/report.html" 2>/dev/null
rm -rf "$OUT"
echo "wrote docs/report.png"
