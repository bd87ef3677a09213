#!/usr/bin/env bash
# The demo for now: a fresh store, a small IMR program imported as validated clinical commands,
# a refused command, the log, the chain check, a signed checkpoint and the auditor's verification.
set -euo pipefail
BIN="$1"
IMR="$BIN/imr"
STORE="$2"
rm -rf "$STORE"
"$IMR" init "$STORE"
HERE=$(cd "$(dirname "$0")" && pwd)
# A small IMR program, one command a line; every line is checked against the record as the
# lines before it leave it, and the whole file commits in one atomic append.
"$IMR" import "$STORE" "$HERE/demo-commands.ndjson" --source /agencies/a1/programs/imr --actor user:leader-1 --role supervisor
# A command the record refuses: a session for a consumer whose referral was declined.
echo
echo "a refused command (nothing is written):"
"$IMR" record "$STORE" record-session --json '{"occurred_at":"2026-01-26T10:00:00Z","session_id":"s-0009","consumer_id":"c-21b0e4","format":"individual","date":"2026-01-26","duration_minutes":50,"practitioners":["pr-12"],"goals_followed_up":[],"motivational":[],"topics":["recovery-strategies"],"educational_techniques":[],"cbt":[],"skills":[],"handouts_given":false,"practitioner_signed":true,"consumer_signed":true}' || true
echo
"$IMR" log "$STORE"
echo
"$IMR" verify-chain "$STORE"
echo
KEY=$("$IMR" key "$STORE")
echo "verifier key: $KEY"
echo "signed checkpoint (kept by the auditor in $STORE.checkpoint):"
"$IMR" checkpoint "$STORE" | tee "$STORE.checkpoint"
echo
echo "the auditor's check, read-only, with the key and checkpoint they hold:"
"$BIN/imr-audit" verify "$STORE" --key "$KEY" --checkpoint "$STORE.checkpoint"
