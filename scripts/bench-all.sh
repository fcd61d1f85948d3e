#!/usr/bin/env bash
# `make bench`: runs every benchmark script (or the ones BENCH names), keeps each one's report as it runs,
# and at the end prints one results table in the shape of BENCHMARKS.md's: figure, current result, same-run
# baseline, target, command. Each script prints its figures as `RESULT|figure|result|baseline|target|command`
# lines; a script that fails or is skipped gets a row saying so. Loads only 127.0.0.1.
#
# Usage: make bench   (or: bash scripts/bench-all.sh, after the release builds of bureau and BureauBenchmarks)
# env: BENCH=auth,floor,tasks,storage,keys,snapmem,recovery,stream,fairness (the default: all, in this order)
#        auth      scripts/bench.sh: authenticated / trivial route, limiter on / off, bcrypt, limiter memory
#        floor     scripts/bench-floor.sh: nginx, bare SwiftNIO, bare Hummingbird and Bureau, 64 and 1,024 connections
#        tasks     scripts/bench-task-cpu.sh: server CPU per task creation against an authenticated GET
#                  (BASE_BIN=<older bureau> adds that build, interleaved, as the baseline)
#        storage   scripts/bench-storage.sh: fsync, snapshot, restart and memory against Redis (needs redis-server)
#        keys      scripts/bench-key-memory.sh: memory per API key in three layouts against Redis (needs redis-server)
#        snapmem   scripts/bench-snapshot-memory.sh: resident memory while a snapshot of 1,000,000 tasks is written
#                  by a serving process (peak / steady)
#        recovery  scripts/bench-recovery.sh: restart from a snapshot of 1,000,000 tasks with full histories,
#                  recovery time and start-up peak (BASE_BIN=<older bureau> adds that build, alternating)
#        stream    scripts/bench-stream.py: 5,000 activity streams (STREAMS=5000 EVENTS=20)
#        fairness  scripts/bench-fairness.sh: another user's latency beside a 1,000,000-task listing; its
#                  baseline here is the same request on the same server without the lister (BASE=none: no
#                  second build); BASE=<commit> adds a baseline build of that commit
#      ROUNDS, DURATION: passed to every script that takes them (each has its own defaults);
#      BENCH_LOG_DIR: where each script's full report is kept (default: a temporary directory, removed).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=${BENCH:-auth,floor,tasks,storage,keys,snapmem,recovery,stream,fairness}
PYTHON=${PYTHON:-python3}
KEEP_LOGS=1
if [ -z "${BENCH_LOG_DIR:-}" ]; then
    BENCH_LOG_DIR=$(mktemp -d)
    KEEP_LOGS=0
fi
mkdir -p "$BENCH_LOG_DIR"
cleanup() { [ "$KEEP_LOGS" = 1 ] || rm -rf "$BENCH_LOG_DIR"; }
trap cleanup EXIT

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)

# bench NAME COMMAND...: runs one benchmark, its report shown as it runs and kept in BENCH_LOG_DIR/NAME.log;
# a failure is recorded as a row of the table, and the next benchmark runs.
bench() {
    local name=$1 status=0
    shift
    echo "======== $name: $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$@" 2>&1 | tee "$BENCH_LOG_DIR/$name.log" || status=$?
    if [ "$status" != 0 ]; then
        local reason
        reason=$(grep -v '^RESULT|' "$BENCH_LOG_DIR/$name.log" | tail -n 1 | tr '|' '/' || true)
        echo "RESULT|$name: **failed** (exit $status)|${reason:-no output}|—|—|$*" >>"$BENCH_LOG_DIR/$name.log"
    fi
}

IFS=',' read -r -a selected <<<"$BENCH"
for name in "${selected[@]}"; do
    case "$name" in
    auth) bench auth bash scripts/bench.sh ;;
    floor) bench floor bash scripts/bench-floor.sh ;;
    tasks) bench tasks bash scripts/bench-task-cpu.sh ;;
    storage) bench storage bash scripts/bench-storage.sh ;;
    keys) bench keys bash scripts/bench-key-memory.sh ;;
    snapmem) bench snapmem bash scripts/bench-snapshot-memory.sh ;;
    recovery) bench recovery bash scripts/bench-recovery.sh ;;
    stream) bench stream "$PYTHON" scripts/bench-stream.py "${STREAMS:-5000}" "${EVENTS:-20}" ;;
    fairness) bench fairness env BASE="${BASE:-none}" bash scripts/bench-fairness.sh ;;
    *) echo "unknown benchmark '$name' (known: auth, floor, tasks, storage, keys, snapmem, recovery, stream, fairness)" >&2; exit 2 ;;
    esac
done

echo
echo "## Results ($started to $(date -u '+%H:%M UTC'), commit $commit, $(nproc) cores, load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
echo
echo "| figure | current result | baseline, same run | target | command |"
echo "|---|---|---|---|---|"
for name in "${selected[@]}"; do
    [ -f "$BENCH_LOG_DIR/$name.log" ] || continue
    # Every field after the first four belongs to the command (which may hold a `|` of its own).
    grep '^RESULT|' "$BENCH_LOG_DIR/$name.log" | awk -F'|' '{
        command = $6; for (i = 7; i <= NF; i++) command = command "|" $i
        printf "| %s | %s | %s | %s | `%s` |\n", $2, $3, $4, $5, command }'
done
[ "$KEEP_LOGS" = 1 ] && echo && echo "Full reports: $BENCH_LOG_DIR/"
exit 0
