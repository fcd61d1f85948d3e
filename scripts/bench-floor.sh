#!/usr/bin/env bash
# The framework floor (issue 13): in one interleaved run, nginx (`return 200` with the JSON body, one worker,
# access log on, to a file), a bare SwiftNIO HTTP/1 server (`configureHTTPServerPipeline` + one handler, two
# event loops), a bare Hummingbird 2 route (both: `BureauBenchmarks bare-nio|bare-hummingbird PORT`),
# Bureau's `GET /healthz` and Bureau's authenticated `GET /api/desktops` with the demo key. Bureau runs with
# the demo configuration's defaults (request logging on at info, written to a file; the limiter on) except
# for the general limit, raised out of the way, and the per-client connection cap, lifted because every
# connection comes from 127.0.0.1. `wrk -t2 --latency` at each connection count (64 and 1,024), rounds
# interleaved (the order of the servers alternates), medians quoted: each server's req/s, p50, p99, socket
# errors, server CPU per request, and its ratio to nginx and to the bare Hummingbird route.
# Loads only 127.0.0.1; stops what it starts.
#
# Usage: make bench-floor   (or: bash scripts/bench-floor.sh)
# env: ROUNDS=5, DURATION=8 (seconds per wrk run), CONNECTIONS="64 1024", PIN=1 (every server on the first
#      CPU, wrk on the second), BIN=.build/release/bureau, BENCH_CLIENT=.build/release/BureauBenchmarks,
#      NGINX=<nginx binary> (default: nginx on PATH, else /usr/sbin/nginx as Debian installs it),
#      ROUTER_BIN (the binary of the second Bureau process, default BIN: the same settings but
#      `--http-synchronous-reads false`, the authenticated route answered through the router, measured as one
#      more server; the default, `true`, answers it on the event loop: BENCHMARKS.md's "Seventh session").
# Needs wrk, curl, python3 (to find a free port for nginx) and nginx. Release builds only: `make bench-floor`
# builds both binaries first.
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/bureau}
CLIENT=${BENCH_CLIENT:-.build/release/BureauBenchmarks}
CONFIG=${CONFIG:-fixtures/demo.yaml}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-64 1024}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
SERVER_CPU=(); CLIENT_CPU=()
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs taskset and two CPUs" >&2; exit 1; }
    SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
fi
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done
[ -x "$NGINX" ] || { echo "nginx is required (apt-get install nginx-light or nginx)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
[ -x "$CLIENT" ] || { echo "build first: swift build -c release --product BureauBenchmarks" >&2; exit 1; }

# 1,024 connections need more than the usual 1,024 descriptors, in wrk and in each server.
max_connections=$(tr ' ' '\n' <<<"$CONNECTIONS" | sort -n | tail -n 1)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((max_connections + 256)) ] ||
    { echo "ulimit -n is $(ulimit -n): too few descriptors for $max_connections connections" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "n/a"; else printf "%.3f", a/b}'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_for_line NAME PID FILE: waits for "serving on URL" in FILE (Bureau: "Bureau is serving on URL"); sets URL_NAME.
wait_for_line() {
    local name=$1 pid=$2 file=$3 url=""
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^.*serving on \(http:[^ ]*\)$/\1/p' "$file" 2>/dev/null | head -n 1 || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "server $name did not start:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    printf -v "URL_$name" '%s' "$url"
}

# CPU processes of each server, for its CPU time per request (nginx: master and worker).
declare -A CPU_PIDS

start_nginx() {
    local port dir="$WORK/nginx"
    port=$(free_port)
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $((max_connections * 2 + 1024));
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((max_connections * 2 + 512)); }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    # Like the Swift servers, never close a busy keep-alive connection (nginx's default: after 1,000 requests).
    keepalive_requests 1000000000;
    server {
        listen 127.0.0.1:$port;
        default_type application/json;
        location / { return 200 '{"status":"ok"}'; }
    }
}
EOF
    "${SERVER_CPU[@]}" "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$WORK/nginx.out" 2>"$WORK/nginx.err" &
    local pid=$!
    PIDS+=("$pid")
    URL_nginx="http://127.0.0.1:$port"
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "$URL_nginx/healthz" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { echo "nginx did not start:" >&2; cat "$WORK/nginx.err" "$dir/error.log" >&2; exit 1; }
        sleep 0.05
    done
    local worker
    worker=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    CPU_PIDS[nginx]="$pid $worker"
}

start_bare() { # NAME SUBCOMMAND
    "${SERVER_CPU[@]}" "$CLIENT" "$2" 0 >"$WORK/$1.out" 2>"$WORK/$1.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for_line "$1" "$pid" "$WORK/$1.out"
    CPU_PIDS[$1]=$pid
}

start_bureau() { # NAME BINARY [EXTRA ARGUMENTS...]
    local name=$1 binary=$2
    shift 2
    "${SERVER_CPU[@]}" "$binary" serve --config "$CONFIG" --port 0 --data-dir "$WORK/$name-data" \
        --rate-limits-general-limit 1000000000 --http-max-connections-per-client 0 "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    wait_for_line "$name" "$pid" "$WORK/$name.out"
    CPU_PIDS[$name]=$pid
}

KEY=$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' "$CONFIG" | head -n 1)
start_nginx
start_bare nio bare-nio
start_bare hummingbird bare-hummingbird
start_bureau bureau "$BIN"
URL_healthz=$URL_bureau
URL_desktops=$URL_bureau
CPU_PIDS[healthz]=${CPU_PIDS[bureau]}
CPU_PIDS[desktops]=${CPU_PIDS[bureau]}

SERVERS=(nginx nio hummingbird healthz desktops router)
ROUTER_BIN=${ROUTER_BIN:-$BIN}
[ -x "$ROUTER_BIN" ] || { echo "ROUTER_BIN $ROUTER_BIN is not executable" >&2; exit 1; }
start_bureau router "$ROUTER_BIN" --http-synchronous-reads false
declare -A LABEL PATH_OF HEADER
LABEL[nginx]="nginx $("$NGINX" -v 2>&1 | sed 's|.*nginx/||') return 200"
LABEL[nio]="bare SwiftNIO HTTP/1"
LABEL[hummingbird]="bare Hummingbird 2 route"
LABEL[healthz]="Bureau GET /healthz"
LABEL[desktops]="Bureau GET /api/desktops + key"
LABEL[router]="  the same through the router"
for name in "${SERVERS[@]}"; do PATH_OF[$name]=/healthz; HEADER[$name]=""; done
PATH_OF[desktops]=/api/desktops
HEADER[desktops]="x-api-key: $KEY"
PATH_OF[router]=/api/desktops
HEADER[router]="x-api-key: $KEY"

request() { # NAME: curl of one request; prints "status body-bytes header-bytes"
    local name=$1 args=(-sS -o /dev/null -w '%{http_code} %{size_download} %{size_header}\n')
    [ -n "${HEADER[$name]}" ] && args+=(-H "${HEADER[$name]}")
    local url_var="URL_$name"
    curl "${args[@]}" "${!url_var}${PATH_OF[$name]}"
}

LOAD_START=$(loadavg)
echo "== framework floor: $(nproc) cores; load average at start: $LOAD_START"
echo "   wrk -t2 --latency -d${DURATION}s at ${CONNECTIONS// /, } connections, ${ROUNDS} interleaved rounds$([ "${PIN:-0}" = 1 ] && echo ", servers on CPU 0, wrk on CPU 1")"
echo "   Bureau: $CONFIG defaults (request log at info, to a file; limiter on) with --rate-limits-general-limit 1000000000"
echo "   and --http-max-connections-per-client 0 (every connection comes from 127.0.0.1; the default cap is 256)"
echo "   and a second Bureau process, $ROUTER_BIN, the same with --http-synchronous-reads false (the route through the router)"
echo "   what each answers (status, body bytes, header bytes), the first request paying bcrypt for the key:"
for name in "${SERVERS[@]}"; do
    read -r status body_bytes header_bytes < <(request "$name")
    [ "$status" = 200 ] || { echo "${LABEL[$name]} answered $status" >&2; exit 1; }
    printf '   %-34s %s, %s B body, %s B headers\n' "${LABEL[$name]}" "$status" "$body_bytes" "$header_bytes"
done

cpu_ticks() { # PIDS...: user + system clock ticks of these processes
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}

# wrk_ms REPORT PERCENT: a latency percentile of a `wrk --latency` report, in milliseconds.
wrk_ms() {
    echo "$1" | awk -v p="$2%" '$1 == p {
        v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000
        printf "%.3f", v }'
}

# run NAME CONNECTIONS SECONDS: one wrk run; prints "req/s p50-ms p99-ms socket-errors non-2xx cpu-µs-per-request
# connect/read/write/timeout" (wrk counts a request unanswered after 2 s as a timeout).
run() {
    local name=$1 connections=$2 seconds=$3 url_var="URL_$1" before after report
    local args=(-t2 -c"$connections" -d"${seconds}s" --latency)
    [ -n "${HEADER[$name]}" ] && args+=(-H "${HEADER[$name]}")
    # shellcheck disable=SC2086 # CPU_PIDS holds a list of process ids
    before=$(cpu_ticks ${CPU_PIDS[$name]})
    report=$(timeout $((seconds + 60)) "${CLIENT_CPU[@]}" wrk "${args[@]}" "${!url_var}${PATH_OF[$name]}")
    # shellcheck disable=SC2086
    after=$(cpu_ticks ${CPU_PIDS[$name]})
    local rate requests errors non2xx kinds
    rate=$(echo "$report" | awk '/Requests\/sec/ {print $2}')
    requests=$(echo "$report" | awk '/requests in/ {print $1}')
    errors=$(echo "$report" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}')
    kinds=$(echo "$report" | awk '/Socket errors/ {gsub(",", ""); print $4 "/" $6 "/" $8 "/" $10}')
    non2xx=$(echo "$report" | awk '/Non-2xx/ {print $NF}')
    awk -v r="$rate" -v p50="$(wrk_ms "$report" 50)" -v p99="$(wrk_ms "$report" 99)" -v e="${errors:-0}" -v x="${non2xx:-0}" \
        -v n="$requests" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v k="${kinds:-0/0/0/0}" \
        'BEGIN {printf "%s %s %s %d %d %.2f %s\n", r, p50, p99, e, x, (n > 0 ? t / hz * 1e6 / n : 0), k}'
}

echo "== warm-up: 2 s per server at each connection count"
for name in "${SERVERS[@]}"; do
    for connections in $CONNECTIONS; do run "$name" "$connections" 2 >/dev/null; done
done

declare -A S # S[name,connections,field]: space-separated samples
for round in $(seq 1 "$ROUNDS"); do
    order=("${SERVERS[@]}")
    if [ $((round % 2)) = 0 ]; then order=(); for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do order+=("${SERVERS[$i]}"); done; fi
    for connections in $CONNECTIONS; do
        line="round $round, $connections connections (load $(loadavg)):"
        for name in "${order[@]}"; do
            read -r rate p50 p99 errors non2xx cpu kinds < <(run "$name" "$connections" "$DURATION")
            S[$name,$connections,rate]+="$rate "; S[$name,$connections,p50]+="$p50 "; S[$name,$connections,p99]+="$p99 "
            S[$name,$connections,errors]+="$errors "; S[$name,$connections,non2xx]+="$non2xx "; S[$name,$connections,cpu]+="$cpu "
            line+=" $name $rate req/s p50 ${p50} p99 ${p99} ms, errors $errors ($kinds), non-2xx $non2xx, ${cpu} µs;"
        done
        echo "$line"
    done
done

m() { echo "${S[$1,$2,$3]}" | tr ' ' '\n' | grep . | median; }
# per_round_ratio NAME OTHER CONNECTIONS: the median of the per-round throughput ratios NAME / OTHER.
# per_round_ratio A B CONNECTIONS [FIELD]: the median over rounds of A's FIELD (default: rate) / B's.
per_round_ratio() {
    local field=${4:-rate}
    paste -d' ' <(echo "${S[$1,$3,$field]}" | tr ' ' '\n' | grep .) <(echo "${S[$2,$3,$field]}" | tr ' ' '\n' | grep .) |
        awk '{printf "%.4f\n", ($2 == 0) ? 0 : $1 / $2}' | median
}
echo "== medians of ${ROUNDS} rounds; load average at the end: $(loadavg)"
for connections in $CONNECTIONS; do
    echo "-- $connections connections"
    printf '%-34s %9s %9s %9s %10s %8s %10s %9s %11s\n' server req/s "p50 ms" "p99 ms" "sock.err" non-2xx "CPU µs/req" "vs nginx" "vs bare HB"
    for name in "${SERVERS[@]}"; do
        rate=$(m "$name" "$connections" rate)
        printf '%-34s %9.0f %9s %9s %10s %8s %10s %9s %11s\n' "${LABEL[$name]}" "$rate" "$(m "$name" "$connections" p50)" \
            "$(m "$name" "$connections" p99)" "$(m "$name" "$connections" errors)" "$(m "$name" "$connections" non2xx)" \
            "$(m "$name" "$connections" cpu)" "$(ratio "$rate" "$(m nginx "$connections" rate)")" \
            "$(ratio "$rate" "$(m hummingbird "$connections" rate)")"
    done
    echo "median of the per-round ratios: Bureau /api/desktops / bare Hummingbird $(per_round_ratio desktops hummingbird "$connections")," \
        "/ nginx $(per_round_ratio desktops nginx "$connections"); Bureau /healthz / bare Hummingbird $(per_round_ratio healthz hummingbird "$connections")"
    echo "through the router, median of the per-round ratios: / nginx $(per_round_ratio router nginx "$connections")," \
        "/ bare Hummingbird $(per_round_ratio router hummingbird "$connections"), / bare SwiftNIO $(per_round_ratio router nio "$connections")," \
        "/ the default (synchronous reads) $(per_round_ratio router desktops "$connections")"
    echo "p99, median of the per-round ratios: Bureau /api/desktops / bare Hummingbird $(per_round_ratio desktops hummingbird "$connections" p99)," \
        "through the router $(per_round_ratio router hummingbird "$connections" p99)"
    echo "socket errors per run (connect/read/write/timeout in the round lines), every round: $(for name in "${SERVERS[@]}"; do printf '%s [%s] ' "$name" "$(echo ${S[$name,$connections,errors]})"; done)"
done

# Machine-readable lines for `make bench` (scripts/bench-all.sh): figure|result|baseline|target|command.
command="make bench-floor (ROUNDS=$ROUNDS DURATION=$DURATION)"
load="load $LOAD_START at the start, $(loadavg) at the end"
first=$(tr ' ' '\n' <<<"$CONNECTIONS" | grep . | head -n 1)
last=$(tr ' ' '\n' <<<"$CONNECTIONS" | grep . | tail -n 1)
for connections in $first; do
    d=$(m desktops "$connections" rate); h=$(m healthz "$connections" rate); hb=$(m hummingbird "$connections" rate)
    n=$(m nginx "$connections" rate); nio=$(m nio "$connections" rate)
    echo "RESULT|framework floor, $connections connections: Bureau GET /api/desktops with a cached key / bare Hummingbird route, req/s|$(ratio "$d" "$hb") ($(printf '%.0f' "$d") req/s; per-round median $(per_round_ratio desktops hummingbird "$connections"); $load)|bare Hummingbird 2 route $(printf '%.0f' "$hb") req/s, same run|≥ 0.85|$command"
    echo "RESULT|framework floor, $connections connections: Bureau GET /api/desktops with a cached key / nginx, req/s|$(ratio "$d" "$n") ($(printf '%.0f' "$d") req/s)|nginx \`return 200\`, one worker, access log on: $(printf '%.0f' "$n") req/s, same run|≥ 0.5 (the product's goal)|$command"
    echo "RESULT|framework floor, $connections connections: Bureau GET /healthz / bare Hummingbird route, req/s|$(ratio "$h" "$hb") ($(printf '%.0f' "$h") req/s)|bare Hummingbird 2 route, same run|none stated|$command"
    r=$(m router "$connections" rate)
    echo "RESULT|framework floor, $connections connections: the same route through the router (http.synchronous_reads false) / bare Hummingbird route, req/s|$(ratio "$r" "$hb") ($(printf '%.0f' "$r") req/s; per-round median $(per_round_ratio router hummingbird "$connections"); / nginx $(ratio "$r" "$n"); / the default $(ratio "$r" "$d"))|bare Hummingbird 2 route $(printf '%.0f' "$hb") req/s, same run|none of its own (the default path is judged above)|$command"
    echo "RESULT|framework floor, $connections connections: bare SwiftNIO and bare Hummingbird / nginx, req/s|NIO $(ratio "$nio" "$n"), Hummingbird $(ratio "$hb" "$n") ($(printf '%.0f' "$nio") and $(printf '%.0f' "$hb") req/s)|nginx $(printf '%.0f' "$n") req/s, same run|— (the floor itself)|$command"
done
if [ "$last" != "$first" ]; then
    dp=$(m desktops "$last" p99); hp=$(m hummingbird "$last" p99)
    echo "RESULT|framework floor, $last connections: p99, Bureau GET /api/desktops / bare Hummingbird route|$(ratio "$dp" "$hp") (${dp} against ${hp} ms; req/s ratio $(ratio "$(m desktops "$last" rate)" "$(m hummingbird "$last" rate)"))|bare Hummingbird 2 route, same run|≤ 3×|$command"
    echo "RESULT|framework floor, $last connections: socket errors per run (median), Bureau GET /api/desktops|$(m desktops "$last" errors) (every round: $(echo ${S[desktops,$last,errors]}))|bare Hummingbird route: $(m hummingbird "$last" errors) (every round: $(echo ${S[hummingbird,$last,errors]}))|none that Hummingbird alone does not have|$command"
fi
