#!/usr/bin/env bash
# Measures the figures quoted in BENCHMARKS.md on this machine, always against a baseline from the
# same run. Loads only 127.0.0.1. Usage: make bench  (or: bash scripts/bench.sh [seconds-per-run])
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release/bureau
DURATION=${1:-8}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null 2>&1 || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
KEY=$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' fixtures/demo.yaml | head -n 1)

start_server() {
    rm -f "$WORK/out" "$WORK/err"; URL=""
    "$BIN" serve --config fixtures/demo.yaml --port 0 --data-dir "$WORK/data" --log-level warning "$@" >"$WORK/out" 2>"$WORK/err" &
    PID=$!
    for _ in $(seq 1 200); do
        URL=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/out" 2>/dev/null || true)
        [ -n "$URL" ] && return 0
        sleep 0.05
    done
    echo "server did not start" >&2; cat "$WORK/err" >&2; exit 1
}

stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

rps() { # url [header]
    if [ -n "${2:-}" ]; then
        wrk -t1 -c32 -d"${DURATION}s" -H "$2" "$1" | awk '/Requests\/sec/ {print $2}'
    else
        wrk -t1 -c32 -d"${DURATION}s" "$1" | awk '/Requests\/sec/ {print $2}'
    fi
}

echo "== throughput: GET /api/desktops with a cached API key vs GET /healthz (same binary, same run)"
# One key at full speed would be held to the general limit (120 a minute): raise it out of the way.
start_server --rate-limits-general-limit 1000000000
curl -fsS -H "x-api-key: $KEY" "$URL/api/desktops" >/dev/null # first use pays bcrypt; later ones hit the cache
trivial=(); authed=()
for round in $(seq 1 "$ROUNDS"); do
    t=$(rps "$URL/healthz"); a=$(rps "$URL/api/desktops" "x-api-key: $KEY")
    echo "round $round: healthz ${t} req/s, desktops+key ${a} req/s"
    trivial+=("$t"); authed+=("$a")
done
stop_server
mt=$(printf '%s\n' "${trivial[@]}" | median); ma=$(printf '%s\n' "${authed[@]}" | median)
echo "median: healthz $mt req/s, desktops+key $ma req/s, ratio $(awk -v a="$ma" -v t="$mt" 'BEGIN {printf "%.3f", a/t}')"

echo "== first (bcrypt, cost 10) verification vs a cached one"
firsts=(); cached=()
for run in $(seq 1 7); do
    start_server
    f=$(curl -fsS -o /dev/null -w '%{time_total}' -H "x-api-key: $KEY" "$URL/api/desktops")
    c=$(for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -w '%{time_total}\n' -H "x-api-key: $KEY" "$URL/api/desktops"; done | median)
    stop_server
    firsts+=("$f"); cached+=("$c")
done
mf=$(printf '%s\n' "${firsts[@]}" | median); mc=$(printf '%s\n' "${cached[@]}" | median)
echo "median over 7 restarts: first request ${mf}s, cached request ${mc}s, bcrypt cost ≈ $(awk -v f="$mf" -v c="$mc" 'BEGIN {printf "%.1f ms", (f-c)*1000}')"
