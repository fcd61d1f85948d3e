#!/usr/bin/env bash
# Resident memory while a snapshot of RECORDS tasks is written by a serving process (issue 13: the peak
# stays under 1.25× the steady figure). Seeds RECORDS tasks (1,000 users, one key, one desktop and
# RECORDS/1,000 tasks each, like scripts/bench-storage.sh section 2), starts and stops the server once so
# that every round starts from a snapshot, then for each round and each build (alternating):
#   1. starts `bureau serve` on a copy of the directory, with a snapshot due once the log grows by 4 KiB;
#   2. waits until VmRSS settles and records it (the steady figure), then resets VmHWM (/proc/PID/clear_refs);
#   3. serves a light load (one task creation and one authenticated GET every ~50 ms, from one client):
#      its first writes trigger the snapshot; the later ones land while it is written, so the live
#      state is changed while the snapshot reads its copy;
#   4. samples VmRSS every ~50 ms until the server logs "snapshot written", then reads VmHWM.
# It prints per round steady, sampled peak and VmHWM (KiB), peak / steady, and the snapshot's own
# duration_ms and size. Loads only 127.0.0.1; every process it starts is stopped on exit.
# Usage: bash scripts/bench-snapshot-memory.sh after `make release`, or BENCH=snapmem make bench
# (env: ROUNDS=2 RECORDS=1000000 BIN=.build/release/bureau; BASE_BIN=another build measures that one
# too, on copies of the same data, in the same rounds, alternating which starts first)
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
RECORDS=${RECORDS:-1000000}
BIN=${BIN:-.build/release/bureau}
BASE_BIN=${BASE_BIN:-}
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
[ -z "$BASE_BIN" ] || [ -x "$BASE_BIN" ] || { echo "BASE_BIN is not an executable" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "curl is required" >&2; exit 1; }
[ $((RECORDS % 1000)) -eq 0 ] || { echo "RECORDS must be a multiple of 1000" >&2; exit 1; }

echo "== $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
umask 077 # the seeded key file holds keys
mkdir -p .build
WORK=${BENCH_DIR:-$(mktemp -d .build/bench-snapshot-memory.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
PIDS=()
cleanup() {
    rm -f "$WORK/load.on"
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# start NAME BINARY DIR [flags...]: serves DIR; sets PID and URL.
start() {
    local name=$1 binary=$2 dir=$3 url=""
    shift 3
    "$binary" serve --port 0 --data-dir "$dir" --rate-limits-general-limit 1000000000 "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 1 2400); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/$name.out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "bureau did not start:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    URL=$url
}

# log_field NAME MESSAGE FIELD: the value of FIELD on the last log line of MESSAGE.
log_field() { grep "$2" "$WORK/$1.err" | tail -n 1 | sed -n "s/.*$3=\([0-9]*\).*/\1/p"; }

echo "== seeding 1000 users, 1000 keys, 1000 desktops, ${RECORDS} tasks"
started=$(now_ms)
timeout 1800 "$BIN" seed --data-dir "$WORK/seed" --users 1000 --keys-per-user 1 --desktops-per-user 1 \
    --tasks-per-desktop $((RECORDS / 1000)) --out "$WORK/keys.txt" --bcrypt-cost 4 >/dev/null
echo "seeded in $(($(now_ms) - started)) ms"
# A first start and graceful stop leaves a snapshot: every round then starts from it.
start warm "$BIN" "$WORK/seed" --storage-snapshot-interval-seconds 0
kill "$PID"
timeout 600 tail --pid="$PID" -f /dev/null || true
echo "first snapshot (at shutdown): $(log_field warm "snapshot written" duration_ms) ms, $(log_field warm "snapshot written" bytes) bytes"
KEY=$(head -n 1 "$WORK/keys.txt")

# measure LABEL BINARY: one round of one build; appends to the arrays named after LABEL.
measure() {
    local label=$1 binary=$2 dir="$WORK/run" before after steady peak hwm rss desktop deadline samples=0 written=""
    rm -rf "$dir"
    cp -a "$WORK/seed" "$dir"
    start "$label" "$binary" "$dir" --storage-snapshot-interval-seconds 0 --storage-snapshot-log-bytes 4096
    # Settled: two readings 1 s apart within 0.5 % (at most 30 s).
    before=$(status_kib "$PID" VmRSS)
    for _ in $(seq 1 30); do
        sleep 1
        after=$(status_kib "$PID" VmRSS)
        awk -v a="$before" -v b="$after" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(d * 200 <= a)}' && break
        before=$after
    done
    steady=$after
    echo 5 >"/proc/$PID/clear_refs" # resets VmHWM to the current VmRSS
    desktop=$(curl -fsS -H "x-api-key: $KEY" "$URL/api/desktops" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)
    touch "$WORK/load.on"
    (
        while [ -f "$WORK/load.on" ]; do
            curl -fsS -o /dev/null -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
                -d "{\"type\":\"prompt\",\"content\":\"Open the quarterly report and summarise it.\",\"desktopId\":\"$desktop\"}" \
                "$URL/api/mission-control/tasks" || true
            curl -fsS -o /dev/null -H "x-api-key: $KEY" "$URL/api/desktops" || true
            sleep 0.05
        done
    ) &
    local loader=$!
    peak=$steady
    deadline=$(($(now_ms) + 300000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        rss=$(status_kib "$PID" VmRSS)
        samples=$((samples + 1))
        [ "$rss" -gt "$peak" ] && peak=$rss
        if grep -q "snapshot written" "$WORK/$label.err"; then written=1; break; fi
        sleep 0.05
    done
    hwm=$(status_kib "$PID" VmHWM)
    rm -f "$WORK/load.on"
    wait "$loader" 2>/dev/null || true
    kill -9 "$PID"; wait "$PID" 2>/dev/null || true
    [ -n "$written" ] || { echo "no snapshot was written within 300 s:" >&2; tail -n 20 "$WORK/$label.err" >&2; exit 1; }
    local ms bytes
    ms=$(log_field "$label" "snapshot written" duration_ms)
    bytes=$(log_field "$label" "snapshot written" bytes)
    echo "$label: steady VmRSS $steady KiB; during the snapshot: sampled peak $peak KiB ($samples samples), VmHWM $hwm KiB;" \
        "VmHWM / steady $(awk -v a="$hwm" -v b="$steady" 'BEGIN {printf "%.2f", a/b}'); snapshot $ms ms, $bytes bytes"
    eval "STEADY_$label+=($steady); PEAK_$label+=($peak); HWM_$label+=($hwm); MS_$label+=($ms); BYTES_$label+=($bytes)"
    eval "RATIO_$label+=($(awk -v a="$hwm" -v b="$steady" 'BEGIN {printf "%.3f", a/b}'))"
}

LABELS=(new)
[ -n "$BASE_BIN" ] && LABELS=(new base)
declare -a STEADY_new PEAK_new HWM_new MS_new BYTES_new RATIO_new STEADY_base PEAK_base HWM_base MS_base BYTES_base RATIO_base
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round (load $(cut -d' ' -f1-3 /proc/loadavg))"
    order=("${LABELS[@]}")
    [ $((round % 2)) -eq 0 ] && [ ${#LABELS[@]} -eq 2 ] && order=(base new)
    for label in "${order[@]}"; do
        binary=$BIN
        [ "$label" = base ] && binary=$BASE_BIN
        measure "$label" "$binary"
    done
done

# summary LABEL: "VmHWM / steady R (steady S MiB, peak P MiB); snapshot T ms, B bytes" from the medians.
summary() {
    local label=$1 steady hwm ratio ms bytes
    steady=$(eval "printf '%s\n' \"\${STEADY_$label[@]}\"" | median)
    hwm=$(eval "printf '%s\n' \"\${HWM_$label[@]}\"" | median)
    ratio=$(eval "printf '%s\n' \"\${RATIO_$label[@]}\"" | median)
    ms=$(eval "printf '%s\n' \"\${MS_$label[@]}\"" | median | awk '{printf "%.0f", $1}')
    bytes=$(eval "printf '%s\n' \"\${BYTES_$label[@]}\"" | median | awk '{printf "%.0f", $1}')
    printf 'peak / steady %.2f× (steady %.0f MiB, VmHWM %.0f MiB; medians of %s rounds); snapshot %s ms, %s bytes' \
        "$ratio" "$(awk -v k="$steady" 'BEGIN {print k/1024}')" "$(awk -v k="$hwm" 'BEGIN {print k/1024}')" "$ROUNDS" "$ms" "$bytes"
}
echo "== medians (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%H:%M:%S UTC'))"
NEW=$(summary new)
echo "this build: $NEW"
BASELINE="— (BASE_BIN not given)"
if [ -n "$BASE_BIN" ]; then
    BASELINE="$(summary base), same run"
    echo "baseline: $BASELINE"
fi
echo "RESULT|resident memory during a snapshot of $RECORDS tasks while serving (VmHWM / steady VmRSS)|$NEW|$BASELINE|< 1.25×|bash scripts/bench-snapshot-memory.sh (ROUNDS=$ROUNDS RECORDS=$RECORDS)"
