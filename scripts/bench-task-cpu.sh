#!/usr/bin/env bash
# Server CPU per task creation (`POST /api/mission-control/tasks`) against an authenticated read
# (`GET /api/desktops`) on the same server, and, with BASE_BIN, the same for an older build in the same
# run: rounds interleaved, each server measured with `wrk -t1 -c32`, CPU (user + system) read from
# /proc/PID/stat around each run and divided by the requests wrk completed.
#
#   BIN=.build/release/bureau [BASE_BIN=old/bureau] [ROUNDS=5] [DURATION=5] [FSYNC=never|always] [CLIENTS=32] bash scripts/bench-task-cpu.sh
#
# Every server: default request logging (`info`, to a file), `storage.fsync: never` by default (so the figure
# is the server's own work, not the disk's), the limiter on with its limit raised. Loads 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/bureau}
BASE_BIN=${BASE_BIN:-}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-32}
FSYNC=${FSYNC:-never}
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN (make release)" >&2; exit 1; }

umask 077 # the seeded key file and the wrk script hold a key
mkdir -p .build
WORK=$(mktemp -d .build/bench-task-cpu.XXXXXX)
WORK=$(cd "$WORK" && pwd)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

"$BIN" seed --data-dir "$WORK/seed" --users 1 --keys-per-user 1 --desktops-per-user 1 --out "$WORK/keys.txt" --bcrypt-cost 4 >/dev/null
KEY=$(head -n 1 "$WORK/keys.txt")

# start NAME BINARY: a server on a copy of the seeded directory; sets PID_<NAME> and URL_<NAME>.
start() {
    local name=$1 bin=$2 url=""
    cp -a "$WORK/seed" "$WORK/data-$name"
    "$bin" serve --port 0 --data-dir "$WORK/data-$name" --storage-snapshot-interval-seconds 0 --storage-fsync "$FSYNC" \
        --rate-limits-general-limit 1000000000 >"$WORK/$name.out" 2>"$WORK/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/$name.out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "bureau ($name) did not start:" >&2; cat "$WORK/$name.log" >&2; exit 1; }
    printf -v "PID_$name" '%s' "$pid"
    printf -v "URL_$name" '%s' "$url"
}

SERVERS=(new)
start new "$BIN"
if [ -n "$BASE_BIN" ]; then
    SERVERS+=(base)
    start base "$BASE_BIN"
fi

DESKTOP=$(curl -fsS -H "x-api-key: $KEY" "$URL_new/api/desktops" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"type":"prompt","content":"Open the quarterly report and summarise it.","desktopId":"$DESKTOP"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "$KEY"
EOF
cat >"$WORK/get.lua" <<EOF
wrk.headers["x-api-key"] = "$KEY"
EOF

# measure NAME ROUTE SCRIPT: prints "µs-per-request req/s".
measure() {
    local pid_var="PID_$1" url_var="URL_$1" before after report requests
    before=$(cpu_ticks "${!pid_var}")
    report=$(timeout $((DURATION + 30)) wrk -t1 -c"$CLIENTS" -d"${DURATION}s" -s "$3" "${!url_var}$2")
    after=$(cpu_ticks "${!pid_var}")
    if grep -q "Non-2xx" <<<"$report"; then echo "non-2xx answers from $1 $2: $(grep Non-2xx <<<"$report")" >&2; exit 1; fi
    requests=$(awk '/requests in/ {print $1}' <<<"$report")
    awk -v t="$((after - before))" -v hz="$TICK" -v n="$requests" -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$report")" \
        'BEGIN {printf "%.1f %s\n", t * 1e6 / hz / n, rps}'
}

# Warm-up: the key's one bcrypt check, the first allocations.
for name in "${SERVERS[@]}"; do
    measure "$name" /api/desktops "$WORK/get.lua" >/dev/null
    measure "$name" /api/mission-control/tasks "$WORK/post.lua" >/dev/null
done

declare -A cpu
echo "== server CPU per request, ${ROUNDS} rounds of ${DURATION}s, wrk -t1 -c${CLIENTS} (load $(cut -d' ' -f1 /proc/loadavg))"
for round in $(seq 1 "$ROUNDS"); do
    order=("${SERVERS[@]}")
    if ((round % 2 == 0)); then order=($(printf '%s\n' "${SERVERS[@]}" | tac)); fi
    line="round $round:"
    for name in "${order[@]}"; do
        read -r post post_rps < <(measure "$name" /api/mission-control/tasks "$WORK/post.lua")
        read -r get get_rps < <(measure "$name" /api/desktops "$WORK/get.lua")
        cpu[$name.post]+="$post "
        cpu[$name.get]+="$get "
        line+=" $name POST $post µs ($post_rps/s), GET $get µs ($get_rps/s);"
    done
    echo "$line load $(cut -d' ' -f1 /proc/loadavg)"
done

for name in "${SERVERS[@]}"; do
    post=$(tr ' ' '\n' <<<"${cpu[$name.post]}" | grep . | median)
    get=$(tr ' ' '\n' <<<"${cpu[$name.get]}" | grep . | median)
    printf -v "POST_$name" '%s' "$post"
    printf -v "GET_$name" '%s' "$get"
    echo "$name: task creation $post µs, authenticated GET $get µs per request (medians), creation / GET $(ratio "$post" "$get")"
done
command="BIN=... BASE_BIN=... bash scripts/bench-task-cpu.sh"
if [ -n "$BASE_BIN" ]; then
    echo "new / base: task creation $(ratio "$POST_new" "$POST_base"), GET $(ratio "$GET_new" "$GET_base")"
    echo "RESULT|server CPU per task creation, new / base build (fsync $FSYNC, $CLIENTS clients)|$(ratio "$POST_new" "$POST_base") ($POST_new against $POST_base µs; GET $GET_new against $GET_base µs)|the base build, same run|issue 13: ≤ 0.5|$command"
else
    echo "RESULT|server CPU per task creation / per authenticated GET (fsync $FSYNC, $CLIENTS clients)|$(ratio "$POST_new" "$GET_new") ($POST_new against $GET_new µs)|the GET on the same server, same run|none stated|$command"
fi
