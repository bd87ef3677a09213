#!/usr/bin/env bash
# The demo for now: a fresh store, a handful of realistic IMR events, the log, the chain check,
# a signed checkpoint and the auditor's read-only verification.
set -euo pipefail
BIN="$1"
IMR="$BIN/imr"
STORE="$2"
rm -rf "$STORE"
"$IMR" init "$STORE"
SRC=/agencies/a1/programs/imr
"$IMR" append "$STORE" --source "$SRC" --actor user:intake-3 --role practitioner --stream referral-r-0001 \
  --type org.imr.referral.received.v1 --expected-version no-stream --time 2026-01-05T14:10:00Z \
  --data '{"referralId":"r-0001","consumerId":"c-7f3a9c","source":"team","reason":"Wants to manage voices and return to work"}'
"$IMR" append "$STORE" --source "$SRC" --actor user:leader-1 --role supervisor --stream referral-r-0001 \
  --type org.imr.referral.accepted.v1 --expected-version 1 --time 2026-01-07T09:00:00Z \
  --data '{"referralId":"r-0001","decidedBy":"leader-1","formatOffered":"individual"}'
"$IMR" append "$STORE" --source "$SRC" --actor user:leader-1 --role supervisor --stream consumer-c-7f3a9c \
  --type org.imr.consumer.enrolled.v1 --expected-version no-stream --time 2026-01-12T10:00:00Z \
  --data '{"enrollmentId":"e-0001","consumerId":"c-7f3a9c","referralId":"r-0001","format":"individual","startDate":"2026-01-12","scaleVersion":"rev-3-24-05"}'
"$IMR" append "$STORE" --source "$SRC" --actor user:prac-12 --role practitioner --stream consumer-c-7f3a9c \
  --type org.imr.goal.set.v1 --expected-version 1 --time 2026-01-19T10:00:00Z \
  --data '{"goalId":"g-0001","consumerId":"c-7f3a9c","text":"Get a part-time job at the library","criterion":"Submit two applications","targetDate":"2026-04-30"}'
cat <<'NDJSON' | "$IMR" append "$STORE" --ndjson --source "$SRC" --actor user:prac-12 --role practitioner
{"stream":"consumer-c-7f3a9c","type":"org.imr.session.recorded.v1","expectedVersion":2,"time":"2026-01-19T10:00:00Z","data":{"sessionId":"s-0001","format":"individual","minutes":50,"topics":["recovery-strategies"],"motivational":["connect-to-goals","promote-hope"],"cbt":["reinforcement"],"homework":"List three things that help on hard days","handoutsProvided":true}}
{"stream":"practitioner-p-12","type":"org.imr.supervision.held.v1","time":"2026-01-21T16:00:00Z","data":{"type":"group","leader":"leader-1","minutes":60,"casesReviewed":4}}
NDJSON
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
