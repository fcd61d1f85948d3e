#!/usr/bin/env bash
# Restart from a snapshot of RECORDS tasks, each user's history full: recovery time and resident memory,
# one build against another on the very same data directory (issue 13: nothing else gets slower).
# Seeds RECORDS tasks (1,000 users, one key, one desktop and RECORDS/1,000 tasks each, like
# scripts/bench-storage.sh section 2) with BIN, starts and stops it once so that a snapshot holds
# everything, then for each round restarts every build once from that directory (the order rotates per
# round), reads the "recovered the data directory" duration_ms from its log, VmHWM (the peak of the
# start-up: reading, decompressing and decoding the snapshot, then building the state) and VmRSS once it
# serves, and kills it (nothing is written to the directory after the first snapshot).
# Prints per round and build: recovery ms, VmHWM and VmRSS (KiB); then medians, and with BASE_BIN the
# median of the per-round ratios. Loads only 127.0.0.1; every process it starts is stopped on exit.
# Usage: bash scripts/bench-recovery.sh after `make release`, or BENCH=recovery make bench
# (env: ROUNDS=8 RECORDS=1000000 BIN=.build/release/bureau; BASE_BIN=another build measured in the same rounds)
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-8}
RECORDS=${RECORDS:-1000000}
BIN=${BIN:-.build/release/bureau}
BASE_BIN=${BASE_BIN:-}
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
[ -z "$BASE_BIN" ] || [ -x "$BASE_BIN" ] || { echo "BASE_BIN is not an executable" >&2; exit 1; }
[ $((RECORDS % 1000)) -eq 0 ] || { echo "RECORDS must be a multiple of 1000" >&2; exit 1; }

echo "== $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
umask 077 # the seeded key file holds keys
mkdir -p .build
WORK=${BENCH_DIR:-$(mktemp -d .build/bench-recovery.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
PID=""
cleanup() {
    [ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# start BINARY: serves the seeded directory until it answers; sets PID.
start() {
    local binary=$1 url=""
    "$binary" serve --port 0 --data-dir "$WORK/data" --storage-snapshot-interval-seconds 0 >"$WORK/out" 2>"$WORK/err" &
    PID=$!
    for _ in $(seq 1 2400); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "bureau did not start:" >&2; cat "$WORK/err" >&2; exit 1; }
}

# log_field MESSAGE FIELD: the value of FIELD on the last log line of MESSAGE.
log_field() { grep "$1" "$WORK/err" | tail -n 1 | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }

echo "== seeding 1000 users, 1000 keys, 1000 desktops, ${RECORDS} tasks"
started=$(now_ms)
timeout 1800 "$BIN" seed --data-dir "$WORK/data" --users 1000 --keys-per-user 1 --desktops-per-user 1 \
    --tasks-per-desktop $((RECORDS / 1000)) --out "$WORK/keys.txt" --bcrypt-cost 4 >/dev/null
echo "seeded in $(($(now_ms) - started)) ms"
start "$BIN"
kill "$PID"
timeout 600 tail --pid="$PID" -f /dev/null || true
PID=""
echo "snapshot at shutdown: $(log_field "snapshot written" duration_ms) ms, $(log_field "snapshot written" bytes) bytes"

LABELS=(new)
[ -n "$BASE_BIN" ] && LABELS=(new base)
declare -a MS_new HWM_new RSS_new MS_base HWM_base RSS_base RATIO
for round in $(seq 1 "$ROUNDS"); do
    order=("${LABELS[@]}")
    [ $((round % 2)) -eq 0 ] && [ ${#LABELS[@]} -eq 2 ] && order=(base new)
    line="round $round (load $(cut -d' ' -f1 /proc/loadavg)):"
    for label in "${order[@]}"; do
        binary=$BIN
        [ "$label" = base ] && binary=$BASE_BIN
        start "$binary"
        ms=$(log_field "recovered the data directory" duration_ms)
        hwm=$(status_kib "$PID" VmHWM)
        rss=$(status_kib "$PID" VmRSS)
        kill -9 "$PID"; wait "$PID" 2>/dev/null || true
        PID=""
        [ -n "$ms" ] || { echo "no recovery line in the log:" >&2; tail -n 20 "$WORK/err" >&2; exit 1; }
        line="$line $label recovery $ms ms, VmHWM $hwm KiB, VmRSS $rss KiB;"
        eval "MS_$label+=($ms); HWM_$label+=($hwm); RSS_$label+=($rss)"
        sleep 0.5
    done
    echo "$line"
    [ -n "$BASE_BIN" ] && RATIO+=("$(awk -v a="${MS_new[-1]}" -v b="${MS_base[-1]}" 'BEGIN {printf "%.4f", a/b}')")
done

# summary LABEL: "recovery T ms, VmHWM H MiB, VmRSS R MiB (medians of N rounds)".
summary() {
    local label=$1 ms hwm rss
    ms=$(eval "printf '%s\n' \"\${MS_$label[@]}\"" | median | awk '{printf "%.0f", $1}')
    hwm=$(eval "printf '%s\n' \"\${HWM_$label[@]}\"" | median)
    rss=$(eval "printf '%s\n' \"\${RSS_$label[@]}\"" | median)
    printf 'recovery %s ms, VmHWM %.0f MiB, VmRSS %.0f MiB (peak / serving %.2f×; medians of %s rounds)' "$ms" \
        "$(awk -v k="$hwm" 'BEGIN {print k/1024}')" "$(awk -v k="$rss" 'BEGIN {print k/1024}')" \
        "$(awk -v a="$hwm" -v b="$rss" 'BEGIN {print a/b}')" "$ROUNDS"
}
echo "== medians (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%H:%M:%S UTC'))"
NEW=$(summary new)
echo "this build: $NEW"
BASELINE="— (BASE_BIN not given)"
if [ -n "$BASE_BIN" ]; then
    ratio=$(printf '%s\n' "${RATIO[@]}" | median)
    BASELINE="$(summary base), same run"
    echo "baseline: $BASELINE"
    echo "recovery, this build / baseline: median of the per-round ratios $ratio"
    NEW="$NEW; / baseline per round: $ratio"
fi
echo "RESULT|restart from a snapshot of $RECORDS tasks with full histories (recovery; start-up peak VmHWM)|$NEW|$BASELINE|not slower than the baseline|bash scripts/bench-recovery.sh (ROUNDS=$ROUNDS RECORDS=$RECORDS)"
