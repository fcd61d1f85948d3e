#!/usr/bin/env bash
# One user cannot stall everyone: another user's `GET /api/auth/me` latency (p50/p99) while one user with
# TASKS tasks lists `?status=failed&limit=1` (none of its tasks failed: the listing's worst case) in a loop,
# and the same without that lister, for this build and for a baseline build of BASE, in the same run,
# rounds interleaved. Then, once per build, the same latency while the heavy user deletes the desktop that
# holds its tasks (which cancels every one of them). Loads only 127.0.0.1; stops what it starts.
#
# Usage: make bench-fairness   (or: bash scripts/bench-fairness.sh)
# env: BASE=<commit> (default: the merge base with main; BASE=none: no baseline build, the figures of this
#      build alone, each beside the same request without the lister), TASKS=1000000, DURATION=8 (seconds per load run),
#      ROUNDS=3, VICTIM_CONNECTIONS=4, LISTERS=2 (connections listing at once), PIN=1 (servers on the first
#      CPU, wrk on the second), BASE_BIN=<path> (a baseline binary built elsewhere: skips the build of BASE).
# The baseline is built from a worktree of BASE in .build-base/ (git-ignored) with its own scratch path.
# Needs wrk, curl and python3.
# Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

TASKS=${TASKS:-1000000}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
VICTIM_CONNECTIONS=${VICTIM_CONNECTIONS:-4}
LISTERS=${LISTERS:-2}
BIN=${BIN:-.build/release/bureau}
SERVER_CPU=(); CLIENT_CPU=()
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs taskset and two CPUs" >&2; exit 1; }
    SERVER_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
fi
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }

NAMES=(base new)
if [ "${BASE:-}" = none ] && [ -z "${BASE_BIN:-}" ]; then
    NAMES=(new)
    echo "== no baseline build (BASE=none): this build alone"
elif [ -z "${BASE_BIN:-}" ]; then
    BASE=${BASE:-$(git merge-base HEAD main)}
    BASE=$(git rev-parse --verify "$BASE^{commit}")
    if [ ! -d .build-base/source ]; then
        git worktree add --detach .build-base/source "$BASE" >/dev/null
    else
        git -C .build-base/source checkout --quiet --detach "$BASE"
    fi
    echo "== baseline: release build of $(git log -1 --format='%h %s' "$BASE" | cut -c1-80)"
    (cd .build-base/source && timeout 3600 swift build -c release --product bureau --scratch-path ../scratch >/dev/null)
    BASE_BIN=.build-base/scratch/release/bureau
fi
[ "${NAMES[0]}" = new ] || [ -x "$BASE_BIN" ] || { echo "no baseline binary at $BASE_BIN" >&2; exit 1; }

echo "== $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
umask 077 # the seeded key files hold keys
mkdir -p .build
WORK=$(mktemp -d .build/bench-fairness.XXXXXX)
WORK=$(cd "$WORK" && pwd)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# start_server NAME BINARY DATA_DIR: serves on a free port, periodic snapshots off (a snapshot during a run
# would make the next write copy the whole state), the general limit raised out of the way (every client is
# 127.0.0.1); sets URL_<NAME> and PID_<NAME>.
start_server() {
    local name=$1 binary=$2 dir=$3 url=""
    "${SERVER_CPU[@]}" "$binary" serve --port 0 --data-dir "$dir" --storage-fsync never --storage-snapshot-interval-seconds 0 \
        --rate-limits-general-limit 1000000000 --log-level warning >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 2400); do
        url=$(sed -n 's/^Bureau is serving on \(.*\)$/\1/p' "$WORK/$name.out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || { echo "server $name did not start:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    printf -v "URL_$name" '%s' "$url"
    printf -v "PID_$name" '%s' "$pid"
}

stop_server() {
    local pid_var="PID_$1"
    kill "${!pid_var}"
    timeout 600 tail --pid="${!pid_var}" -f /dev/null || true
}

# wrk_ms REPORT PERCENT: a latency percentile of a `wrk --latency` report, in milliseconds.
wrk_ms() {
    echo "$1" | awk -v p="$2%" '$1 == p {
        v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000
        printf "%.2f", v }'
}
wrk_rate() { echo "$1" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
wrk_max_ms() {
    echo "$1" | awk '$1 == "Latency" && NF >= 4 {
        v = $4; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000
        printf "%.2f", v }'
}

# victim URL SECONDS: the second user's /api/auth/me under wrk; prints its report.
victim() {
    timeout $(($2 + 60)) "${CLIENT_CPU[@]}" wrk -t1 -c"$VICTIM_CONNECTIONS" -d"$2s" --latency --timeout 30s \
        -H "x-api-key: $KEY_VICTIM" "$1/api/auth/me"
}

# lister URL SECONDS: the heavy user's `?status=failed&limit=1` on LISTERS connections; prints its report.
lister() {
    timeout $(($2 + 60)) "${CLIENT_CPU[@]}" wrk -t1 -c"$LISTERS" -d"$2s" --latency --timeout 30s \
        -H "x-api-key: $KEY_HEAVY" "$1/api/mission-control/tasks?status=failed&limit=1"
}

echo "== seeding: one user with $TASKS tasks on one desktop (all queued), a second user with one desktop"
started=$(date +%s%3N)
timeout 3600 "$BIN" seed --data-dir "$WORK/seed" --users 1 --keys-per-user 1 --desktops-per-user 1 --tasks-per-desktop "$TASKS" \
    --email-domain heavy.test --bcrypt-cost 4 --out "$WORK/heavy-keys.txt" >/dev/null
timeout 600 "$BIN" seed --data-dir "$WORK/seed" --force --users 1 --keys-per-user 1 --desktops-per-user 1 \
    --email-domain victim.test --bcrypt-cost 4 --out "$WORK/victim-keys.txt" >/dev/null
echo "seeded in $(($(date +%s%3N) - started)) ms"
KEY_HEAVY=$(head -n 1 "$WORK/heavy-keys.txt")
KEY_VICTIM=$(head -n 1 "$WORK/victim-keys.txt")
# One start replays the log and its graceful stop writes a snapshot, which every later start loads.
start_server seed "$BIN" "$WORK/seed"
stop_server seed
cp -a "$WORK/seed" "$WORK/base"
cp -a "$WORK/seed" "$WORK/new"
[ "${NAMES[0]}" = new ] || start_server base "$BASE_BIN" "$WORK/base"
start_server new "$BIN" "$WORK/new"
for name in "${NAMES[@]}"; do
    url_var="URL_$name"
    url=${!url_var}
    curl -fsS -o /dev/null -H "x-api-key: $KEY_VICTIM" "$url/api/auth/me"
    single=$(curl -fsS -o /dev/null -w '%{time_total}' -H "x-api-key: $KEY_HEAVY" "$url/api/mission-control/tasks?status=failed&limit=1")
    echo "one ?status=failed&limit=1 listing on $url: ${single}s"
done

echo "== ${ROUNDS} interleaved rounds; /api/auth/me of the second user (wrk -t1 -c${VICTIM_CONNECTIONS} -d${DURATION}s),"
echo "   alone, then while the first user lists ?status=failed&limit=1 on ${LISTERS} connections"
declare -A samples
measure() {
    local name=$1 url_var="URL_$1" idle loaded listing
    idle=$(victim "${!url_var}" "$DURATION")
    lister "${!url_var}" $((DURATION + 2)) >"$WORK/lister.txt" &
    local lister_pid=$!
    sleep 1
    loaded=$(victim "${!url_var}" "$DURATION")
    wait "$lister_pid"
    listing=$(cat "$WORK/lister.txt")
    # Listings wrk had sent before it stopped are still being answered (up to a second each on the
    # baseline): let them end before the next measurement.
    sleep 4
    samples[$name,idle50]+="$(wrk_ms "$idle" 50) "
    samples[$name,idle99]+="$(wrk_ms "$idle" 99) "
    samples[$name,loaded50]+="$(wrk_ms "$loaded" 50) "
    samples[$name,loaded99]+="$(wrk_ms "$loaded" 99) "
    samples[$name,list50]+="$(wrk_ms "$listing" 50) "
    samples[$name,listrate]+="$(wrk_rate "$listing") "
    printf '%-4s round %s: me alone p50 %s / p99 %s ms (%s req/s) | me while listing p50 %s / p99 %s / max %s ms (%s req/s) | listing p50 %s ms, %s req/s\n' \
        "$name" "$round" "$(wrk_ms "$idle" 50)" "$(wrk_ms "$idle" 99)" "$(wrk_rate "$idle")" \
        "$(wrk_ms "$loaded" 50)" "$(wrk_ms "$loaded" 99)" "$(wrk_max_ms "$loaded")" "$(wrk_rate "$loaded")" \
        "$(wrk_ms "$listing" 50)" "$(wrk_rate "$listing")"
}
for round in $(seq 1 "$ROUNDS"); do
    # Alternate which build goes first, so a drift in the machine's load favours neither.
    if [ "${NAMES[0]}" = new ]; then measure new
    elif [ $((round % 2)) = 1 ]; then measure base; measure new; else measure new; measure base; fi
done
for name in "${NAMES[@]}"; do
    m() { echo "${samples[$name,$1]}" | tr ' ' '\n' | grep . | median; }
    echo "median $name: me alone p50 $(m idle50) / p99 $(m idle99) ms; me while listing p50 $(m loaded50) / p99 $(m loaded99) ms; listing p50 $(m list50) ms, $(m listrate) req/s"
done

echo "== deleting the heavy user's desktop (cancels its $TASKS queued tasks), /api/auth/me measured meanwhile"
declare -A DELETION
for name in "${NAMES[@]}"; do
    url_var="URL_$name"
    desktop=$(curl -fsS -H "x-api-key: $KEY_HEAVY" "${!url_var}/api/desktops" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
    victim "${!url_var}" 6 >"$WORK/victim.txt" &
    victim_pid=$!
    sleep 1
    deletion=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -X DELETE -H "x-api-key: $KEY_HEAVY" "${!url_var}/api/desktops/$desktop")
    wait "$victim_pid"
    report=$(cat "$WORK/victim.txt")
    echo "$name: DELETE answered ${deletion% *} in ${deletion#* }s; me meanwhile p50 $(wrk_ms "$report" 50) / p99 $(wrk_ms "$report" 99) / max $(wrk_max_ms "$report") ms"
    DELETION[$name]="${deletion#* } s (/me meanwhile p99 $(wrk_ms "$report" 99) ms)"
done
for name in "${NAMES[@]}"; do stop_server "$name"; done
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Machine-readable lines for `make bench` (scripts/bench-all.sh): figure|result|baseline|target|command.
m() { echo "${samples[$1,$2]}" | tr ' ' '\n' | grep . | median; }
command="BENCH=fairness make bench (scripts/bench-fairness.sh: BASE=${BASE:-${BASE_BIN:-}} TASKS=$TASKS ROUNDS=$ROUNDS DURATION=$DURATION)"
baseline="the same request without the lister, same server: p50 $(m new idle50) / p99 $(m new idle99) ms"
listing="—"
deletion="—"
if [ "${NAMES[0]}" = base ]; then
    baseline+="; the baseline build with the lister: p50 $(m base loaded50) / p99 $(m base loaded99) ms"
    listing="the baseline build: p50 $(m base list50) ms, $(m base listrate) req/s"
    deletion="the baseline build: ${DELETION[base]}"
fi
echo "RESULT|another user's GET /api/auth/me while one user lists ?status=failed&limit=1 on a $TASKS-task account ($LISTERS listing connections)|p50 $(m new loaded50) / p99 $(m new loaded99) ms ($(awk -v a="$(m new loaded99)" -v b="$(m new idle99)" 'BEGIN {printf "%.1f", a/b}')× alone; load $(cut -d' ' -f1-3 /proc/loadavg))|$baseline|p99 ≤ 2× the same request without the lister|$command"
echo "RESULT|that listing itself (?status=failed&limit=1, $TASKS tasks, none failed)|p50 $(m new list50) ms, $(m new listrate) req/s|$listing|none stated|$command"
echo "RESULT|deleting the desktop with the $TASKS queued tasks|${DELETION[new]}|$deletion|none stated|$command"
