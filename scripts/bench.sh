#!/usr/bin/env bash
# Measures the figures quoted in BENCHMARKS.md on this machine, always against a baseline from the
# same run (rounds interleaved, medians quoted). Loads only 127.0.0.1.
# Usage: BENCH=auth make bench   (or: bash scripts/bench.sh [seconds-per-run]; DURATION=s does the same; ROUNDS=n
# for more rounds; PIN=1 runs the servers on the first CPU and wrk on the second, so that the two never compete
# for a core: steadier figures on a small shared machine, lower absolute throughput)
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/bureau}
# CONFIG: the configuration to serve (an older binary may need the configuration of its own version).
CONFIG=${CONFIG:-fixtures/demo.yaml}
DURATION=${1:-${DURATION:-8}}
ROUNDS=${ROUNDS:-5}
SERVER_CPU=(); CLIENT_CPU=()
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs taskset and two CPUs" >&2; exit 1; }
    SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
fi
command -v wrk >/dev/null 2>&1 || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
KEY=$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' "$CONFIG" | head -n 1)

# start_server NAME [flags...]: serves the demo config on a free port; sets URL_NAME and PID_NAME.
start_server() {
    local name=$1
    shift
    mkdir -p "$WORK/$name"
    "${SERVER_CPU[@]}" "$BIN" serve --config "$CONFIG" --port 0 --data-dir "$WORK/$name/data" --storage-fsync never \
        --log-level warning "$@" >"$WORK/$name/out" 2>"$WORK/$name/err" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 400); do
        local url
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/$name/out" 2>/dev/null || true)
        if [ -n "$url" ]; then
            printf -v "URL_$name" '%s' "$url"
            printf -v "PID_$name" '%s' "$pid"
            return 0
        fi
        sleep 0.05
    done
    echo "server $name did not start" >&2
    cat "$WORK/$name/err" >&2
    exit 1
}

stop_server() { local pid_var="PID_$1"; kill "${!pid_var}"; wait "${!pid_var}" 2>/dev/null || true; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }

# Server CPU time (user + system) in clock ticks, from /proc/PID/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load PID URL [header]: runs wrk; prints "requests/s microseconds-of-server-CPU-per-request". The CPU cost per
# request is much less sensitive than throughput to other work on a shared machine.
load() {
    local pid=$1 url=$2 header=${3:-} before after out
    before=$(cpu_ticks "$pid")
    if [ -n "$header" ]; then
        out=$("${CLIENT_CPU[@]}" wrk -t1 -c32 -d"${DURATION}s" -H "$header" "$url")
    else
        out=$("${CLIENT_CPU[@]}" wrk -t1 -c32 -d"${DURATION}s" "$url")
    fi
    after=$(cpu_ticks "$pid")
    local requests rate
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    awk -v r="$rate" -v n="$requests" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
        'BEGIN {printf "%s %.2f\n", r, t / hz * 1e6 / n}'
}

echo "== throughput (wrk -t1 -c32 -d${DURATION}s, ${ROUNDS} interleaved rounds$([ "${PIN:-0}" = 1 ] && echo ", servers on CPU 0, wrk on CPU 1"))"
echo "   on:  general limit raised out of the way (10^9 a minute), failed-key blocker on"
echo "   off: both limits switched off (0)"
start_server on --rate-limits-general-limit 1000000000
start_server off --rate-limits-general-limit 0 --rate-limits-failed-auth-limit 0
for url in "$URL_on" "$URL_off"; do
    curl -fsS -H "x-api-key: $KEY" "$url/api/desktops" >/dev/null # first use pays bcrypt; later ones hit the cache
done
trivial=(); authed=(); unlimited=(); trivial_cpu=(); authed_cpu=(); unlimited_cpu=(); auth_ratios=(); limiter_ratios=()
for round in $(seq 1 "$ROUNDS"); do
    # Odd rounds run healthz first, even rounds last: a drift in the machine's load over a round then
    # favours neither side.
    if [ $((round % 2)) = 1 ]; then
        read -r t tc < <(load "$PID_on" "$URL_on/healthz")
        read -r a ac < <(load "$PID_on" "$URL_on/api/desktops" "x-api-key: $KEY")
        read -r u uc < <(load "$PID_off" "$URL_off/api/desktops" "x-api-key: $KEY")
    else
        read -r u uc < <(load "$PID_off" "$URL_off/api/desktops" "x-api-key: $KEY")
        read -r a ac < <(load "$PID_on" "$URL_on/api/desktops" "x-api-key: $KEY")
        read -r t tc < <(load "$PID_on" "$URL_on/healthz")
    fi
    echo "round $round: healthz $t req/s ($tc µs CPU/req) | desktops+key, limiter on $a ($ac) | limiter off $u ($uc)"
    # Ratios within a round compare runs seconds apart, so load from other work on the machine affects both sides
    # of each ratio alike; their median is the figure least sensitive to that load.
    auth_ratios+=("$(ratio "$a" "$t")"); limiter_ratios+=("$(ratio "$a" "$u")")
    trivial+=("$t"); authed+=("$a"); unlimited+=("$u")
    trivial_cpu+=("$tc"); authed_cpu+=("$ac"); unlimited_cpu+=("$uc")
done
stop_server on
stop_server off
mt=$(printf '%s\n' "${trivial[@]}" | median)
ma=$(printf '%s\n' "${authed[@]}" | median)
mu=$(printf '%s\n' "${unlimited[@]}" | median)
ct=$(printf '%s\n' "${trivial_cpu[@]}" | median)
ca=$(printf '%s\n' "${authed_cpu[@]}" | median)
cu=$(printf '%s\n' "${unlimited_cpu[@]}" | median)
echo "median req/s: healthz $mt, desktops+key (limiter on) $ma, desktops+key (limiter off) $mu"
echo "median server CPU µs/request: healthz $ct, desktops+key (limiter on) $ca, desktops+key (limiter off) $cu"
echo "authenticated route / trivial route: throughput $(ratio "$ma" "$mt"), CPU-per-request $(ratio "$ct" "$ca")"
echo "limiter on / limiter off: throughput $(ratio "$ma" "$mu"), CPU-per-request $(ratio "$cu" "$ca")"
echo "median of the per-round throughput ratios: authenticated / trivial $(printf '%s\n' "${auth_ratios[@]}" | median), limiter on / off $(printf '%s\n' "${limiter_ratios[@]}" | median)"
command="BENCH=auth make bench (scripts/bench.sh: ROUNDS=$ROUNDS, ${DURATION} s runs$([ "${PIN:-0}" = 1 ] && echo ", PIN=1" || true))"
load="load $(cut -d' ' -f1-3 /proc/loadavg)"
results=(
    "authenticated / trivial route, throughput (GET /api/desktops with a cached key against /healthz, wrk -t1 -c32)|$(ratio "$ma" "$mt") ($ma against $mt req/s; per-round median $(printf '%s\n' "${auth_ratios[@]}" | median); $load)|/healthz of the same binary, same run|≥ 0.85|$command"
    "authenticated / trivial route, server CPU per request (trivial / authenticated, as in the pinned figure)|$(ratio "$ct" "$ca") ($ca µs per authenticated request against $ct)|/healthz of the same binary, same run|none stated|$command"
    "rate limiter's cost (same route, limiter on / off), throughput|$(ratio "$ma" "$mu") (CPU per request off / on $(ratio "$cu" "$ca"); per-round median $(printf '%s\n' "${limiter_ratios[@]}" | median))|limiter off, second server, same run: $mu req/s|≤ 5 % (≥ 0.95)|$command"
)

echo "== first (bcrypt, cost 10) verification vs a cached one, 7 restarts"
firsts=(); cached=()
for run in $(seq 1 7); do
    rm -rf "$WORK/bcrypt"
    start_server bcrypt
    f=$(curl -fsS -o /dev/null -w '%{time_total}' -H "x-api-key: $KEY" "$URL_bcrypt/api/desktops")
    c=$(for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -w '%{time_total}\n' -H "x-api-key: $KEY" "$URL_bcrypt/api/desktops"; done | median)
    stop_server bcrypt
    firsts+=("$f"); cached+=("$c")
done
mf=$(printf '%s\n' "${firsts[@]}" | median)
mc=$(printf '%s\n' "${cached[@]}" | median)
echo "median: first request ${mf}s, cached request ${mc}s, bcrypt verification ≈ $(awk -v f="$mf" -v c="$mc" 'BEGIN {printf "%.1f ms", (f-c)*1000}')"
results+=("first (bcrypt, cost 10) verification after a restart (median of 7)|$(awk -v f="$mf" 'BEGIN {printf "%.1f ms", f*1000}') (bcrypt ≈ $(awk -v f="$mf" -v c="$mc" 'BEGIN {printf "%.1f ms", (f-c)*1000}'))|a cached request $(awk -v c="$mc" 'BEGIN {printf "%.2f ms", c*1000}'), same run|none stated|$command")

echo "== limiter memory"
if [ -x .build/release/BureauBenchmarks ]; then
    memory=$(.build/release/BureauBenchmarks limiter-memory 1000000)
    echo "$memory"
    per_client=$(sed -n 's/.* \([0-9]*\) B per client.*/\1/p' <<<"$memory")
    per_operation=$(sed -n 's/.* \([0-9]*\) ns per operation.*/\1/p' <<<"$memory")
    results+=("limiter memory, 1,000,000 clients|${per_client} B per client, ${per_operation} ns per operation|—|none stated|$command")
else
    echo "skipped: build with swift build -c release --product BureauBenchmarks"
fi
for result in "${results[@]}"; do echo "RESULT|$result"; done
