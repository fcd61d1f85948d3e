#!/usr/bin/env bash
# The API contract against the live server: starts the debug binary on the demo configuration (its seeded
# user and key) on a free loopback port with a temporary data directory and the rate limits raised so the
# fuzzer is not throttled, then runs schemathesis against the server's own /api/openapi.json with every
# check and every phase (examples, coverage, fuzzing, stateful through the document's links), with the
# seeded key wherever the document accepts one (Tests/Contract/schemathesis.toml). Any failure fails the
# run. Run by `make contract` (after `make build`).
#
# One operation is left out, for a reason: GET /api/mission-control/activity/stream answers a stream that
# stays open until the client leaves, which a request/response fuzzer can only time out on. Its contract
# (headers, replay, reset, heartbeats, limits, credentials in the query) is held by the Swift tests of the
# stream (Tests/BureauServerTests/ActivityStream*LiveTests.swift) against a live server. The other thing left
# out, the coverage phase of one operation, is in Tests/Contract/schemathesis.toml with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-"$(swift build --show-bin-path)/bureau"}
PYTHON=${PYTHON:-python3}
EXAMPLES=${CONTRACT_EXAMPLES:-100}
[ -x "$BIN" ] || { echo "no $BIN: run make build first" >&2; exit 1; }
"$PYTHON" -m schemathesis.cli --version >/dev/null 2>&1 \
    || { echo "schemathesis is missing: $PYTHON -m pip install -r Tests/Contract/requirements.txt" >&2; exit 1; }

work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
key=$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' fixtures/demo.yaml | head -n 1)
[ -n "$key" ] || { echo "no seeded key in fixtures/demo.yaml" >&2; exit 1; }

# The fuzzer sends thousands of requests, some with bad keys on purpose: neither limit may stop it.
BUREAU_RATE_LIMITS_GENERAL_LIMIT=1000000000 BUREAU_RATE_LIMITS_FAILED_AUTH_LIMIT=1000000 BUREAU_AUTH_BCRYPT_COST=4 \
    "$BIN" serve --config fixtures/demo.yaml --data-dir "$work/data" --http-host 127.0.0.1 --http-port 0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do
    grep -q 'Bureau is serving on' "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^Bureau is serving on //p' "$work/out" | head -n 1)
[ -n "$url" ] || { echo "the server did not say where it listens" >&2; exit 1; }
echo "== contract: schemathesis against $url/api/openapi.json ($EXAMPLES examples per operation, deterministic)"

status=0
BUREAU_CONTRACT_KEY=$key "$PYTHON" -m schemathesis.cli --config-file Tests/Contract/schemathesis.toml run "$url/api/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" \
    --generation-deterministic \
    --exclude-path /api/mission-control/activity/stream \
    --max-redirects 0 \
    --request-timeout 10 \
    --workers 1 \
    --no-color || status=$?

if ! kill -0 "$pid" 2>/dev/null; then
    echo "the server died during the run:" >&2
    tail -n 50 "$work/err" >&2
    exit 1
fi
if grep -q 'unexpected error' "$work/out" "$work/err"; then
    echo "the server logged unexpected errors during the run:" >&2
    grep 'unexpected error' "$work/out" "$work/err" >&2
    status=1
fi
exit "$status"
