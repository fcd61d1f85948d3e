#!/usr/bin/env bash
# The "Durability" figures of BENCHMARKS.md, measured in one run on one machine:
#   1. task creations/s with storage.fsync always at 1, 16 and 64 clients, against fsync never at 64;
#   2. snapshot write time and size, and restart time, for RECORDS tasks, against Redis loading an RDB
#      of RECORDS hashes with the same fields;
#   3. resident memory per stored task and per API key, against Redis's bytes per hash.
# Loads only 127.0.0.1. Every process it starts is stopped on exit, and every step is bounded in time.
# Needs wrk, redis-server and redis-cli. The scratch directory is created under .build/ so that it sits
# on the project's disk (fsync figures on a tmpfs would mean nothing); BENCH_DIR overrides it.
# Usage: BENCH=storage make bench, or bash scripts/bench-storage.sh after `make release`
# (env: DURATION=8 ROUNDS=3 RECORDS=1000000 KEYS=50000 REDIS_PORT=6390, BIN=.build/release/bureau)
# SECTIONS picks which of the Bureau measurements run (default "1 2 3": all); each brings its Redis
# baseline along (2: Redis with task-shaped hashes, 4a and 4b; 3: Redis with key-shaped hashes, 4c).
# SECTIONS=3 measures memory per API key alone; SECTIONS="2 3" every memory figure without the wrk runs.
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
RECORDS=${RECORDS:-1000000}
KEYS=${KEYS:-50000}
REDIS_PORT=${REDIS_PORT:-6390}
SECTIONS=${SECTIONS:-1 2 3}
runs() { [[ " $SECTIONS " == *" $1 "* ]]; }
BIN=${BIN:-.build/release/bureau}
for tool in redis-server redis-cli curl $(runs 1 && echo wrk); do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done
[ $((RECORDS % 1000)) -eq 0 ] || { echo "RECORDS must be a multiple of 1000" >&2; exit 1; }

echo "== $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }

umask 077 # the seeded key files and the wrk scripts hold keys
mkdir -p .build
WORK=${BENCH_DIR:-$(mktemp -d .build/bench-storage.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd) # absolute: redis-server resolves its log file after entering its --dir
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start_server NAME DATA_DIR [flags...]: sets PID_<NAME>, URL_<NAME> and START_MS_<NAME> (wall time to listening).
start_server() {
    local name=$1 dir=$2; shift 2
    local out="$WORK/$name.out" err="$WORK/$name.err" url="" started
    started=$(now_ms)
    "$BIN" serve --port 0 --data-dir "$dir" --storage-snapshot-interval-seconds 0 "$@" >"$out" 2>"$err" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 1200); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "bureau did not start:" >&2; cat "$err" >&2; exit 1; }
    printf -v "PID_$name" '%s' "$pid"
    printf -v "URL_$name" '%s' "$url"
    printf -v "START_MS_$name" '%s' "$(($(now_ms) - started))"
}

# stop_server NAME: SIGTERM (graceful: final snapshot), sets STOP_MS_<NAME>.
stop_server() {
    local pid_var="PID_$1" started
    started=$(now_ms)
    kill "${!pid_var}"
    timeout 600 tail --pid="${!pid_var}" -f /dev/null || true
    printf -v "STOP_MS_$1" '%s' "$(($(now_ms) - started))"
}

# log_field NAME MESSAGE FIELD: the value of FIELD on the last log line of MESSAGE.
log_field() { grep "$2" "$WORK/$1.err" | tail -n 1 | sed -n "s/.*$3=\([0-9]*\).*/\1/p"; }

if runs 1; then
echo "== 1. task creations/s: fsync always at 1, 16, 64 clients vs fsync never at 64 (${ROUNDS} rounds of ${DURATION}s)"
"$BIN" seed --data-dir "$WORK/tp-seed" --users 1 --keys-per-user 1 --desktops-per-user 1 --out "$WORK/tp-keys.txt" --bcrypt-cost 4 >/dev/null
cp -a "$WORK/tp-seed" "$WORK/tp-always"
cp -a "$WORK/tp-seed" "$WORK/tp-never"
KEY=$(head -n 1 "$WORK/tp-keys.txt")
limits=(--rate-limits-general-limit 1000000000 --log-level warning)
start_server always "$WORK/tp-always" --storage-fsync always "${limits[@]}"
start_server never "$WORK/tp-never" --storage-fsync never "${limits[@]}"
DESKTOP=$(curl -fsS -H "x-api-key: $KEY" "$URL_always/api/desktops" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"type":"prompt","content":"Open the quarterly report and summarise it.","desktopId":"$DESKTOP"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "$KEY"
EOF
rps() { # url clients
    local report
    report=$(timeout $((DURATION + 30)) wrk -t1 -c"$2" -d"${DURATION}s" -s "$WORK/post.lua" "$1/api/mission-control/tasks")
    if grep -q "Non-2xx" <<<"$report"; then echo "non-2xx answers: $(grep Non-2xx <<<"$report")" >&2; exit 1; fi
    awk '/Requests\/sec/ {print $2}' <<<"$report"
}
declare -A results
for round in $(seq 1 "$ROUNDS"); do
    a1=$(rps "$URL_always" 1); a16=$(rps "$URL_always" 16); a64=$(rps "$URL_always" 64); n64=$(rps "$URL_never" 64)
    echo "round $round: always@1 $a1, always@16 $a16, always@64 $a64, never@64 $n64 creations/s"
    results[a1]+="$a1 "; results[a16]+="$a16 "; results[a64]+="$a64 "; results[n64]+="$n64 "
done
stop_server always
stop_server never
for k in a1 a16 a64 n64; do
    printf -v "M_$k" '%s' "$(tr ' ' '\n' <<<"${results[$k]}" | grep . | median)"
done
echo "median: always@1 $M_a1, always@16 $M_a16, always@64 $M_a64, never@64 $M_n64 creations/s;" \
    "always@64 / never@64 = $(ratio "$M_a64" "$M_n64") (target >= 0.5)"

fi

if runs 2; then
echo "== 2. ${RECORDS} tasks: seed, restart from the log, snapshot at shutdown, restarts from the snapshot"
per_desktop=$((RECORDS / 1000))
started=$(now_ms)
timeout 1800 "$BIN" seed --data-dir "$WORK/tasks" --users 1000 --keys-per-user 1 --desktops-per-user 1 \
    --tasks-per-desktop "$per_desktop" --out "$WORK/tasks-keys.txt" --bcrypt-cost 4 >/dev/null
echo "seeded 1000 users, 1000 keys, 1000 desktops, ${RECORDS} tasks in $(($(now_ms) - started)) ms; log $(du -sb "$WORK/tasks" | cut -f1) bytes"
timeout 600 "$BIN" seed --data-dir "$WORK/tasks-base" --users 1000 --keys-per-user 1 --desktops-per-user 1 \
    --out "$WORK/tasks-base-keys.txt" --bcrypt-cost 4 >/dev/null

start_server logreplay "$WORK/tasks"
echo "restart from the log alone: recovery $(log_field logreplay "recovered the data directory" duration_ms) ms, listening after $START_MS_logreplay ms"
stop_server logreplay
SNAP_MS=$(log_field logreplay "snapshot written" duration_ms)
SNAP_BYTES=$(log_field logreplay "snapshot written" bytes)
echo "snapshot at shutdown: written and verified in $SNAP_MS ms, $SNAP_BYTES bytes; graceful stop took $STOP_MS_logreplay ms"

recov=(); listen=(); rss=()
for round in $(seq 1 "$ROUNDS"); do
    start_server snap "$WORK/tasks"
    sleep 1
    r=$(rss_kib "$PID_snap")
    m=$(log_field snap "recovered the data directory" duration_ms)
    echo "round $round: restart from the snapshot: recovery $m ms, listening after $START_MS_snap ms, VmRSS $r KiB"
    recov+=("$m"); listen+=("$START_MS_snap"); rss+=("$r")
    kill -9 "$PID_snap"; wait "$PID_snap" 2>/dev/null || true
done
B_RECOVERY=$(printf '%s\n' "${recov[@]}" | median)
B_LISTEN=$(printf '%s\n' "${listen[@]}" | median)
B_RSS=$(printf '%s\n' "${rss[@]}" | median)

base=()
for round in $(seq 1 "$ROUNDS"); do
    start_server base "$WORK/tasks-base"
    sleep 1
    base+=("$(rss_kib "$PID_base")")
    stop_server base
done
B_BASE=$(printf '%s\n' "${base[@]}" | median)
B_PER_TASK=$(awk -v a="$B_RSS" -v b="$B_BASE" -v n="$RECORDS" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
echo "median: recovery ${B_RECOVERY} ms, listening after ${B_LISTEN} ms; VmRSS ${B_RSS} KiB vs ${B_BASE} KiB without tasks = ${B_PER_TASK} B per task"

fi

if runs 3; then
echo "== 3. ${KEYS} API keys: resident memory per key"
timeout 1800 env BUREAU_AUTH_MAX_KEYS_PER_USER=$KEYS "$BIN" seed --data-dir "$WORK/keys" --users 1 --keys-per-user "$KEYS" \
    --out "$WORK/keys-keys.txt" --bcrypt-cost 4 >/dev/null
"$BIN" seed --data-dir "$WORK/keys-base" --users 1 --keys-per-user 0 --out "$WORK/keys-base-keys.txt" --bcrypt-cost 4 >/dev/null
for dir in keys keys-base; do # a first start and graceful stop leaves a snapshot, like section 2
    start_server warm "$WORK/$dir"
    stop_server warm
done
with=(); without=()
for round in $(seq 1 "$ROUNDS"); do
    start_server k "$WORK/keys"; start_server k0 "$WORK/keys-base"
    sleep 1
    with+=("$(rss_kib "$PID_k")"); without+=("$(rss_kib "$PID_k0")")
    kill -9 "$PID_k" "$PID_k0"; wait "$PID_k" "$PID_k0" 2>/dev/null || true
done
K_WITH=$(printf '%s\n' "${with[@]}" | median)
K_WITHOUT=$(printf '%s\n' "${without[@]}" | median)
K_PER_KEY=$(awk -v a="$K_WITH" -v b="$K_WITHOUT" -v n="$KEYS" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
echo "median VmRSS: ${K_WITH} KiB with ${KEYS} keys vs ${K_WITHOUT} KiB with none = ${K_PER_KEY} B per key"

fi

REDIS_FLAGS=()
redis_start() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --dbfilename dump.rdb --save '' \
        --appendonly no --logfile "$WORK/redis/redis.log" --daemonize no "${REDIS_FLAGS[@]}" &
    RPID=$!
    PIDS+=("$RPID")
    for _ in $(seq 1 1200); do
        [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ] && return 0
        sleep 0.01
    done
    echo "redis did not start" >&2; cat "$WORK/redis/redis.log" >&2; exit 1
}
redis_stop() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; wait "$RPID" 2>/dev/null || true; }
used_memory() { redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
# redis_bench LABEL [redis-server flags...]: RECORDS hashes with a task's fields: memory, SAVE, restarts.
redis_bench() {
    local label=$1
    shift
    REDIS_FLAGS=("$@")
    rm -rf "$WORK/redis"; mkdir -p "$WORK/redis"
    redis_start
    sleep 1
    R_USED0=$(used_memory); R_RSS0=$(rss_kib "$RPID")
    # RESP for HSET task:<id> with the fields of a task as the API shows it.
    awk -v n="$RECORDS" 'function h(k) { return sprintf("%04x", int(rand() * 65536)) }
    function uuid() { return h() h() "-" h() "-4" substr(h(), 2) "-" h() "-" h() h() h() }
    function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
    BEGIN {
        srand(7); t = "2026-11-22T13:13:12.587Z"
        for (d = 0; d < 1000; d++) { owner[d] = uuid(); desktop[d] = uuid() }
        for (i = 0; i < n; i++) {
            d = i % 1000; id = uuid()
            content = "Open the quarterly report on desktop 1 and summarise section " (int(i / 1000) + 1) "."
            printf "*20\r\n%s%s", bulk("HSET"), bulk("task:" id)
            printf "%s%s%s%s%s%s", bulk("id"), bulk(id), bulk("ownerId"), bulk(owner[d]), bulk("desktopId"), bulk(desktop[d])
            printf "%s%s%s%s%s%s", bulk("type"), bulk("prompt"), bulk("content"), bulk(content), bulk("status"), bulk("queued")
            printf "%s%s%s%s%s%s", bulk("createdAt"), bulk(t), bulk("updatedAt"), bulk(t), bulk("ordinal"), bulk(i + 4)
        }
    }' | timeout 600 redis-cli -p "$REDIS_PORT" --pipe >/dev/null
    R_COUNT=$(redis-cli -p "$REDIS_PORT" dbsize)
    R_USED1=$(used_memory); R_RSS1=$(rss_kib "$RPID")
    started=$(now_ms)
    redis-cli -p "$REDIS_PORT" save >/dev/null
    R_SAVE_MS=$(($(now_ms) - started))
    R_RDB=$(stat -c %s "$WORK/redis/dump.rdb")
    redis_stop
    R_PER_HASH=$(awk -v a="$R_USED1" -v b="$R_USED0" -v n="$R_COUNT" 'BEGIN {printf "%.0f", (a-b)/n}')
    R_RSS_PER_HASH=$(awk -v a="$R_RSS1" -v b="$R_RSS0" -v n="$R_COUNT" 'BEGIN {printf "%.0f", (a-b)*1024/n}')
    echo "${R_COUNT} hashes: used_memory ${R_PER_HASH} B per hash (VmRSS ${R_RSS_PER_HASH} B per hash); SAVE ${R_SAVE_MS} ms, RDB ${R_RDB} bytes"
    loads=(); rlisten=()
    for round in $(seq 1 "$ROUNDS"); do
        : >"$WORK/redis/redis.log"
        started=$(now_ms)
        redis_start
        rlisten+=("$(($(now_ms) - started))")
        load=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$WORK/redis/redis.log" | tail -n 1)
        loads+=("$(awk -v s="$load" 'BEGIN {printf "%.0f", s*1000}')")
        echo "round $round: Redis restart: RDB loaded in ${loads[-1]} ms, answering PING after ${rlisten[-1]} ms"
        redis_stop
    done
    R_LOAD=$(printf '%s\n' "${loads[@]}" | median)
    R_LISTEN=$(printf '%s\n' "${rlisten[@]}" | median)
    printf -v "R_LOAD_$label" '%s' "$R_LOAD"
    printf -v "R_PER_HASH_$label" '%s' "$R_PER_HASH"
    printf -v "R_SAVE_$label" '%s' "${R_SAVE_MS} ms, ${R_RDB} bytes"
    printf -v "SUMMARY_$label" '%s' "used_memory ${R_PER_HASH} B per hash (VmRSS ${R_RSS_PER_HASH} B); SAVE ${R_SAVE_MS} ms, RDB ${R_RDB} bytes; RDB load ${R_LOAD} ms (PING ${R_LISTEN} ms); Bureau recovery / Redis load $(ratio "$B_RECOVERY" "$R_LOAD")"
}

if runs 2; then
echo "== 4. Redis: ${RECORDS} hashes with the fields of a task"
echo "== 4a. Redis, default configuration (the content field is 63-66 bytes, past hash-max-listpack-value 64,"
echo "      so most hashes are stored as hash tables)"
redis_bench default
echo "== 4b. Redis with hash-max-listpack-value 128 (every hash stays a compact listpack: Redis's best case here)"
redis_bench listpack --hash-max-listpack-value 128
fi

if runs 3; then
echo "== 4c. Redis: ${KEYS} hashes with the fields of an API key (every value fits a listpack by default)"
rm -rf "$WORK/redis"; mkdir -p "$WORK/redis"
REDIS_FLAGS=()
redis_start
sleep 1
R_KEY_USED0=$(used_memory)
awk -v n="$KEYS" -f scripts/redis-key-hashes.awk | timeout 600 redis-cli -p "$REDIS_PORT" --pipe >/dev/null
R_KEY_COUNT=$(redis-cli -p "$REDIS_PORT" dbsize)
R_KEY_PER_HASH=$(awk -v a="$(used_memory)" -v b="$R_KEY_USED0" -v n="$R_KEY_COUNT" 'BEGIN {printf "%.0f", (a-b)/n}')
redis_stop
echo "${R_KEY_COUNT} key-shaped hashes: used_memory ${R_KEY_PER_HASH} B per hash; Bureau ${K_PER_KEY} B per key ($(ratio "$K_PER_KEY" "$R_KEY_PER_HASH")x)"

fi

echo "== summary (medians of ${ROUNDS}); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if runs 1; then
    echo "task creations/s: always@1 $M_a1, always@16 $M_a16, always@64 $M_a64, never@64 $M_n64; always@64/never@64 $(ratio "$M_a64" "$M_n64") (target >= 0.5)"
fi
if runs 2; then
    echo "Bureau: snapshot ${SNAP_MS} ms, ${SNAP_BYTES} bytes; recovery ${B_RECOVERY} ms (listening ${B_LISTEN} ms); ${B_PER_TASK} B per task (VmRSS)"
    echo "Redis default:  $SUMMARY_default"
    echo "Redis listpack: $SUMMARY_listpack"
fi
if runs 3; then
    echo "Bureau: ${K_PER_KEY} B per API key (VmRSS); Redis key-shaped hashes: used_memory ${R_KEY_PER_HASH} B per hash;" \
        "Bureau per key / Redis per hash $(ratio "$K_PER_KEY" "$R_KEY_PER_HASH")"
fi

# Machine-readable lines for `make bench` (scripts/bench-all.sh): figure|result|baseline|target|command.
command="BENCH=storage make bench (scripts/bench-storage.sh: SECTIONS=\"$SECTIONS\" ROUNDS=$ROUNDS RECORDS=$RECORDS KEYS=$KEYS)"
if runs 1; then
    echo "RESULT|task creations/s, storage.fsync always / never at 64 clients|$(ratio "$M_a64" "$M_n64") ($M_a64 against $M_n64; always at 1 / 16 clients $M_a1 / $M_a16)|fsync never at 64 clients, same run|≥ 0.5|$command"
fi
if runs 2; then
    echo "RESULT|snapshot of $RECORDS tasks|$SNAP_MS ms, $SNAP_BYTES bytes|Redis SAVE of as many hashes, same run: listpack $R_SAVE_listpack; default $R_SAVE_default|none stated|$command"
    echo "RESULT|restart with $RECORDS tasks, recovery|$B_RECOVERY ms (listening after $B_LISTEN ms)|Redis RDB load, same run (listpack, then default): $R_LOAD_listpack and $R_LOAD_default ms|≤ 1.0× Redis|$command"
    echo "RESULT|memory per task (VmRSS)|$B_PER_TASK B|Redis used_memory per task-shaped hash, same run: listpack $R_PER_HASH_listpack B, default $R_PER_HASH_default B|≤ Redis|$command"
fi
if runs 3; then
    echo "RESULT|memory per API key, $KEYS keys of one user (VmRSS)|$K_PER_KEY B|Redis used_memory per key-shaped hash, same run: $R_KEY_PER_HASH B|≤ Redis|$command"
fi
