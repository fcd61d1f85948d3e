#!/usr/bin/env bash
# Resident memory per API key in three layouts (issue: memory per key depends on how keys are spread over
# users), each against a baseline of the same users without keys, started from the same kind of snapshot:
#   1 user × 100,000 keys; 1,000 users × 100 keys (the default cap; each key's creation event sits in its
#   user's history); 100,000 users × 1 key.
# Then Redis 7 with one listpack hash of a key's fields per key (the figure to stay under).
# Loads only 127.0.0.1. Needs redis-server and redis-cli. Usage: bash scripts/bench-key-memory.sh
# (env: ROUNDS=3, LAYOUTS="1x100000 1000x100 100000x1", REDIS_PORT=6391, BIN=.build/release/bureau;
# BASE_BIN=another build measures that one too, on copies of the same data, in the same rounds)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
LAYOUTS=${LAYOUTS:-1x100000 1000x100 100000x1}
REDIS_PORT=${REDIS_PORT:-6391}
BIN=${BIN:-.build/release/bureau}
BASE_BIN=${BASE_BIN:-}
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
[ -z "$BASE_BIN" ] || [ -x "$BASE_BIN" ] || { echo "BASE_BIN is not an executable" >&2; exit 1; }
for tool in redis-server redis-cli; do command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }; done

echo "== $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
umask 077 # the seeded key files hold keys
mkdir -p .build
WORK=$(mktemp -d .build/bench-key-memory.XXXXXX)
WORK=$(cd "$WORK" && pwd)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start DIR [BINARY]: serves DIR on a free port; prints the pid once it listens.
start() {
    local dir=$1 binary=${2:-$BIN} out err pid url=""
    out="$dir.out"; err="$dir.err"
    "$binary" serve --port 0 --data-dir "$dir" --storage-snapshot-interval-seconds 0 --log-level warning >"$out" 2>"$err" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 2400); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "bureau did not start:" >&2; cat "$err" >&2; exit 1; }
    echo "$pid"
}

declare -A PER_KEY PER_KEY_B
for layout in $LAYOUTS; do
    users=${layout%x*}; keys=${layout#*x}
    total=$((users * keys))
    echo "== ${users} users × ${keys} keys (${total} keys)"
    for variant in with base; do
        n=$keys; [ "$variant" = base ] && n=0
        timeout 3600 env BUREAU_AUTH_MAX_KEYS_PER_USER=$((keys > 100 ? keys : 100)) "$BIN" seed --data-dir "$WORK/$layout-$variant" \
            --users "$users" --keys-per-user "$n" --out "$WORK/$layout-$variant-keys.txt" --bcrypt-cost 4 >/dev/null
        # A first start and graceful stop leaves a snapshot: every round then starts from one.
        pid=$(start "$WORK/$layout-$variant")
        kill "$pid"; timeout 600 tail --pid="$pid" -f /dev/null || true
    done
    if [ -n "$BASE_BIN" ]; then
        for variant in with base; do cp -a "$WORK/$layout-$variant" "$WORK/$layout-$variant-b"; done
    fi
    with=(); without=(); with_b=(); without_b=()
    for _ in $(seq 1 "$ROUNDS"); do
        a=$(start "$WORK/$layout-with"); b=$(start "$WORK/$layout-base")
        sleep 1
        with+=("$(rss_kib "$a")"); without+=("$(rss_kib "$b")")
        kill -9 "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
        if [ -n "$BASE_BIN" ]; then
            a=$(start "$WORK/$layout-with-b" "$BASE_BIN"); b=$(start "$WORK/$layout-base-b" "$BASE_BIN")
            sleep 1
            with_b+=("$(rss_kib "$a")"); without_b+=("$(rss_kib "$b")")
            kill -9 "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
        fi
    done
    w=$(printf '%s\n' "${with[@]}" | median); b=$(printf '%s\n' "${without[@]}" | median)
    PER_KEY[$layout]=$(awk -v a="$w" -v b="$b" -v n="$total" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
    echo "median VmRSS ${w} KiB with the keys, ${b} KiB with the same users and no keys (rounds: ${with[*]} / ${without[*]}) = ${PER_KEY[$layout]} B per key"
    if [ -n "$BASE_BIN" ]; then
        w=$(printf '%s\n' "${with_b[@]}" | median); b=$(printf '%s\n' "${without_b[@]}" | median)
        PER_KEY_B[$layout]=$(awk -v a="$w" -v b="$b" -v n="$total" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
        echo "BASE_BIN: median VmRSS ${w} KiB with the keys, ${b} KiB without (rounds: ${with_b[*]} / ${without_b[*]}) = ${PER_KEY_B[$layout]} B per key"
    fi
done

echo "== Redis: 100,000 hashes with the fields of an API key (listpack encoding, the default for them)"
mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --save '' --appendonly no --daemonize no \
    >"$WORK/redis.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
used() { redis-cli -p "$REDIS_PORT" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
before=$(used)
awk -v n=100000 -f scripts/redis-key-hashes.awk | timeout 600 redis-cli -p "$REDIS_PORT" --pipe >/dev/null
count=$(redis-cli -p "$REDIS_PORT" dbsize)
REDIS_PER_KEY=$(awk -v a="$(used)" -v b="$before" -v n="$count" 'BEGIN {printf "%.0f", (a-b)/n}')
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
echo "${count} hashes: used_memory ${REDIS_PER_KEY} B per hash"

echo "== memory per API key (B), against Redis's ${REDIS_PER_KEY} B per hash"
for layout in $LAYOUTS; do
    echo "$layout: ${PER_KEY[$layout]} B per key ($(awk -v a="${PER_KEY[$layout]}" -v b="$REDIS_PER_KEY" 'BEGIN {printf "%.2f", a/b}')× Redis)${BASE_BIN:+; BASE_BIN ${PER_KEY_B[$layout]} B}"
    echo "RESULT|memory per API key, ${layout/x/ users × } keys|${PER_KEY[$layout]} B|Redis ${REDIS_PER_KEY} B per hash, same run|≤ Redis|bash scripts/bench-key-memory.sh"
done
