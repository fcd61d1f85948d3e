#!/usr/bin/env bash
# Two builds of bureau side by side in one run: the authenticated route (GET /api/desktops with a cached key)
# and the trivial one (GET /healthz) of each, rounds interleaved (the order alternates), medians quoted.
# Loads only 127.0.0.1.
# Usage: bash scripts/bench-ab.sh BIN_A CONFIG_A BIN_B CONFIG_B [seconds-per-run]; ROUNDS=n (default 6);
# PIN=1 runs both servers on the first CPU and wrk on the second (the servers' CPU then sets throughput).
# LOG_LEVEL=info measures with the default request logging (default here: warning, no request lines).
# An older build may need the demo configuration of its own version (git show REV:fixtures/demo.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
BIN_A=$1 CONFIG_A=$2 BIN_B=$3 CONFIG_B=$4
DURATION=${5:-5}
ROUNDS=${ROUNDS:-6}
SERVER_CPU=(); CLIENT_CPU=()
if [ "${PIN:-0}" = 1 ]; then SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1); fi
command -v wrk >/dev/null 2>&1 || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# start NAME BIN CONFIG: serves CONFIG on a free port with the limit raised out of the way; sets URL_NAME, PID_NAME, KEY_NAME.
start() {
    local name=$1 bin=$2 config=$3
    mkdir -p "$WORK/$name"
    "${SERVER_CPU[@]}" "$bin" serve --config "$config" --port 0 --data-dir "$WORK/$name/data" --storage-fsync never \
        --log-level "${LOG_LEVEL:-warning}" --rate-limits-general-limit 1000000000 >"$WORK/$name/out" 2>"$WORK/$name/err" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 400); do
        local url
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/$name/out" 2>/dev/null || true)
        if [ -n "$url" ]; then
            printf -v "URL_$name" '%s' "$url"
            printf -v "PID_$name" '%s' "$pid"
            printf -v "KEY_$name" '%s' "$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' "$config" | head -n 1)"
            return 0
        fi
        sleep 0.05
    done
    echo "server $name did not start" >&2
    cat "$WORK/$name/err" >&2
    exit 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME PATH: prints "requests/s µs-of-server-CPU-per-request".
measure() {
    local name=$1 path=$2 pid_var="PID_$1" url_var="URL_$1" key_var="KEY_$1" before after out
    before=$(cpu_ticks "${!pid_var}")
    out=$("${CLIENT_CPU[@]}" wrk -t1 -c32 -d"${DURATION}s" -H "x-api-key: ${!key_var}" "${!url_var}$path")
    after=$(cpu_ticks "${!pid_var}")
    awk -v r="$(echo "$out" | awk '/Requests\/sec/ {print $2}')" -v n="$(echo "$out" | awk '/requests in/ {print $1}')" \
        -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%s %.2f\n", r, t / hz * 1e6 / n}'
}

start a "$BIN_A" "$CONFIG_A"
start b "$BIN_B" "$CONFIG_B"
for name in a b; do
    url_var="URL_$name" key_var="KEY_$name"
    curl -fsS -H "x-api-key: ${!key_var}" "${!url_var}/api/desktops" >/dev/null # pays bcrypt once
done
declare -A rate cpu
for round in $(seq 1 "$ROUNDS"); do
    order=(a b); [ $((round % 2)) = 0 ] && order=(b a)
    for name in "${order[@]}"; do
        for path in /api/desktops /healthz; do
            read -r r c < <(measure "$name" "$path")
            rate[$name$path]+="$r "; cpu[$name$path]+="$c "
        done
    done
    echo "round $round: A desktops $(echo ${rate[a/api/desktops]} | awk '{print $NF}') req/s, B desktops $(echo ${rate[b/api/desktops]} | awk '{print $NF}') req/s"
done
for name in a b; do
    for path in /api/desktops /healthz; do
        echo "$name $path: median $(echo ${rate[$name$path]} | tr ' ' '\n' | median) req/s, $(echo ${cpu[$name$path]} | tr ' ' '\n' | median) µs server CPU per request"
    done
done
ad=$(echo ${cpu[a/api/desktops]} | tr ' ' '\n' | median); bd=$(echo ${cpu[b/api/desktops]} | tr ' ' '\n' | median)
ah=$(echo ${cpu[a/healthz]} | tr ' ' '\n' | median); bh=$(echo ${cpu[b/healthz]} | tr ' ' '\n' | median)
awk -v ad="$ad" -v bd="$bd" -v ah="$ah" -v bh="$bh" 'BEGIN {
    printf "server CPU per authenticated request, B / A: %.3f; trivial route, B / A: %.3f\n", bd / ad, bh / ah
    printf "authenticated / trivial (CPU per request): A %.3f, B %.3f\n", ah / ad, bh / bd }'
