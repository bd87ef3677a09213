#!/usr/bin/env bash
# The HTTP load benchmark of issue 6 (a benchmark, not a test): `imr serve` on 127.0.0.1 under
# wrk at 64 connections against
#   1. projection queries (GET /v1/caseload, GET /v1/fidelity?program=P),
#   2. feed pages (GET /v1/feed?from=<random>&limit=100),
#   3. raw event appends (POST /v1/streams/{stream}/events, one ~480-byte event a request,
#      unique ids, every answer must be 201),
# and the in-process group-commit rate of the same machine in the same run (imr-bench item 3,
# right before and right after the HTTP appends) as the appends' baseline.
# docs/PERFORMANCE.md, section "HTTP load (issue 6)", explains the figures.
#
# Usage: scripts/load-bench.sh            (or `make load-bench`)
# Environment (all optional):
#   DURATION=20s      each measured wrk run        WARMUP=3s     an unmeasured run before each
#   CONNECTIONS=64    wrk connections              THREADS=2     wrk threads
#   SEED=1            imr demo's seed              SOURCE_STORE  copy this store instead of running imr demo
#   BASELINE_RUNS=3   imr-bench --runs             BASELINE_EVENTS=40000  imr-bench --concurrent-events
#   SCRATCH_PATH      swift build --scratch-path   SWIFT=swift   KEEP=1  keep the work directory
#   BIN_DIR           use the imr and imr-bench in this directory instead of building
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

SWIFT=${SWIFT:-swift}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-1}
BASELINE_RUNS=${BASELINE_RUNS:-3}
BASELINE_EVENTS=${BASELINE_EVENTS:-40000}
SCRATCH=()
[ -n "${SCRATCH_PATH:-}" ] && SCRATCH=(--scratch-path "$SCRATCH_PATH")

say() { printf '%s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------------------------
SUDO=""
[ "$(id -u)" = "0" ] || SUDO=sudo
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} with apt-get"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if ! pkg-config --exists lmdb 2>/dev/null; then
    say "installing liblmdb-dev (and pkg-config)"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblmdb-dev pkg-config
fi

if [ -n "${BIN_DIR:-}" ]; then
    BIN=$BIN_DIR
else
    say "building release (imr, imr-bench)"
    "$SWIFT" build -c release --product imr "${SCRATCH[@]}" >&2
    "$SWIFT" build -c release --product imr-bench "${SCRATCH[@]}" >&2
    BIN=$("$SWIFT" build -c release --show-bin-path "${SCRATCH[@]}")
fi
IMR="$BIN/imr"
BENCH="$BIN/imr-bench"

# --- work directory, store, tokens -----------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/imr-load-bench.XXXXXX")
STORE="$WORK/store"
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local status=0
        wait "$SERVER_PID" || status=$?
        SERVER_PID=""
        return $status
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server || true
    if [ "${KEEP:-0}" = "1" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${SOURCE_STORE:-}" ]; then
    say "copying $SOURCE_STORE"
    cp -a "$SOURCE_STORE" "$STORE"
else
    say "creating the demo store (imr demo --seed $SEED; a minute or two)"
    "$IMR" demo --store "$STORE" --seed "$SEED" > "$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; exit 1; }
fi
# Write the new store's pages out now: left dirty, the kernel flushes them about 30 s later,
# in the middle of a measured run (that flush stalled answers for 100-200 ms).
sync
AUDITOR=$("$IMR" token create "$STORE" --role auditor --user load-auditor 2>/dev/null)
INTEGRATOR=$("$IMR" token create "$STORE" --role integrator --user load-integrator 2>/dev/null)

# --- the server ------------------------------------------------------------------------------
"$IMR" serve "$STORE" --port 0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 600); do
    PORT=$(sed -n 's#^serving .* on http://[^:]*:\([0-9][0-9]*\)$#\1#p' "$WORK/serve.out" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; say "imr serve exited"; exit 1; }
    sleep 0.2
done
[ -n "$PORT" ] || { say "imr serve did not start"; exit 1; }
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || { say "no /healthz"; exit 1; }

auth=(-H "Authorization: Bearer $AUDITOR")
# The log's size without reading (or accounting) any event: a feed page with a type nothing has.
log_size() {
    curl -fsS -o /dev/null -D - "${auth[@]}" "$URL/v1/feed?from=0&limit=1&type=none.load-bench.v1" \
        | tr -d '\r' | sed -n 's/^[Ii][Mm][Rr]-[Ll]og-[Ss]ize: //p'
}
PROGRAM=$(curl -fsS "${auth[@]}" "$URL/v1/caseload" | jq -r '[.programs[].program] | sort | .[0]')
SIZE0=$(log_size)
say "serving $STORE on $URL: $SIZE0 events; fidelity of program $PROGRAM"

# --- measurements ----------------------------------------------------------------------------
declare -A R
# run_wrk NAME SCRIPT [ENV=VALUE...]: a warm-up, then the measured run; RESULT fields land in R[NAME.field].
run_wrk() {
    local name=$1 script=$2; shift 2
    if [ "$WARMUP" != "0" ] && [ "$WARMUP" != "0s" ]; then
        env "$@" IMR_RUN="warm-$name-$$" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 30s -s "$script" "$URL" >/dev/null
    fi
    say "wrk $name: -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 30s --latency"
    R[$name.size0]=$(log_size)
    env "$@" IMR_RUN="$name-$$" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s --latency -s "$script" "$URL" > "$WORK/wrk-$name.txt"
    R[$name.size1]=$(log_size)
    cat "$WORK/wrk-$name.txt" >&2
    local line kv
    line=$(grep '^RESULT ' "$WORK/wrk-$name.txt" | tail -1)
    for kv in ${line#RESULT }; do R[$name.${kv%%=*}]=${kv#*=}; done
}

run_wrk caseload "$HERE/load-bench-get.lua" IMR_TOKEN="$AUDITOR" IMR_PATH="/v1/caseload"
run_wrk fidelity "$HERE/load-bench-get.lua" IMR_TOKEN="$AUDITOR" IMR_PATH="/v1/fidelity?program=$PROGRAM"
run_wrk feed "$HERE/load-bench-get.lua" IMR_TOKEN="$AUDITOR" IMR_FEED_SIZE="$SIZE0" IMR_FEED_LIMIT=100

# In-process group commit, same machine, same file system, right before and right after.
baseline() {
    "$BENCH" --items 3 --runs "$BASELINE_RUNS" --single 2000 --tasks "$CONNECTIONS" \
        --concurrent-events "$BASELINE_EVENTS" --json --dir "$WORK/bench-$1" \
        | jq -r 'select(.name | startswith("3 ")) | .rate'
}
say "imr-bench --items 3 (before)"
BASE_BEFORE=$(baseline before)
rm -rf "$WORK/bench-before"
run_wrk append "$HERE/load-bench-append.lua" IMR_TOKEN="$INTEGRATOR"
say "imr-bench --items 3 (after)"
BASE_AFTER=$(baseline after)
rm -rf "$WORK/bench-after"

if stop_server; then SHUTDOWN="exit 0"; else SHUTDOWN="exit $?"; fi
ERRLINES=$(grep -ciE 'error|critical' "$WORK/serve.err" || true)

# --- summary ---------------------------------------------------------------------------------
mark() { if [ "$1" = "1" ]; then printf '✔'; else printf '✘'; fi; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? 1 : 0 }'; }
BASE=$(awk -v a="$BASE_BEFORE" -v b="$BASE_AFTER" 'BEGIN { printf "%.1f", (a + b) / 2 }')
RATIO=$(awk -v h="${R[append.rps]}" -v b="$BASE" 'BEGIN { printf "%.2f", h / b }')
APPENDED=$(( ${R[append.size1]} - ${R[append.size0]} ))

echo
echo "HTTP load: $CONNECTIONS connections, wrk -t$THREADS -d$DURATION (after a $WARMUP warm-up), $(nproc) cores, store of $SIZE0 events"
printf '%-44s %10s %9s %9s %9s %8s  %s\n' "run" "req/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "target"
for name in caseload fidelity feed append; do
    case $name in
        caseload) label="GET /v1/caseload";              target="p99 < 10 ms $(mark "$(lt "${R[$name.p99_ms]}" 10)")" ;;
        fidelity) label="GET /v1/fidelity?program=$PROGRAM"; target="p99 < 10 ms $(mark "$(lt "${R[$name.p99_ms]}" 10)")" ;;
        feed)     label="GET /v1/feed?from=<random>&limit=100"; target="—" ;;
        append)   label="POST /v1/streams/{s}/events (1 event)"; target="≥ 0.20 of in-process: $RATIO $(mark "$(lt 0.1999999 "$RATIO")")" ;;
    esac
    printf '%-44s %10s %9s %9s %9s %8s  %s\n' "$label" "${R[$name.rps]}" "${R[$name.p50_ms]}" "${R[$name.p99_ms]}" \
        "${R[$name.max_ms]}" "$(( ${R[$name.non2xx]} + ${R[$name.errors]} ))" "$target"
done
echo "in-process group commit (imr-bench item 3, $CONNECTIONS tasks, $BASELINE_EVENTS events, median of $BASELINE_RUNS): before $BASE_BEFORE/s, after $BASE_AFTER/s, mean $BASE/s"
echo "appends: ${R[append.requests]} answered (non-201: ${R[append.non201]}, socket errors: ${R[append.errors]}); the log grew by $APPENDED events during the measured run (answers still in flight when wrk stops are not counted)"
echo "feed: the log grew by $(( ${R[feed.size1]} - ${R[feed.size0]} )) access events during the measured feed run (the feed accounts consumer reads); queries: by $(( ${R[fidelity.size1]} - ${R[caseload.size0]} ))"
echo "server: $SHUTDOWN after SIGTERM; $ERRLINES error lines in its log"
FAILED=$(( ${R[caseload.non2xx]} + ${R[fidelity.non2xx]} + ${R[feed.non2xx]} + ${R[append.non201]} \
    + ${R[caseload.errors]} + ${R[fidelity.errors]} + ${R[feed.errors]} + ${R[append.errors]} ))
if [ "$FAILED" -ne 0 ]; then
    echo "WARNING: $FAILED requests failed; these figures are not meaningful" >&2
    exit 1
fi
