#!/usr/bin/env bash
# Checks the release binary a self-hoster installs: no Swift runtime library among its dynamic
# dependencies, and it serves the demo configuration from a copy in an empty directory, with no
# toolchain on PATH and an empty LD_LIBRARY_PATH. Run by `make release-test` (after `make release`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/bureau}
[ -x "$BIN" ] || { echo "no $BIN: run make release first" >&2; exit 1; }

fail() { echo "release check failed: $*" >&2; exit 1; }

echo "== dynamic dependencies"
deps=$(ldd "$BIN")
echo "$deps"
if grep -Eiq 'libswift|libFoundation|libdispatch|libBlocksRuntime|libicu' <<<"$deps"; then
    fail "the binary needs a Swift runtime library"
fi

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$BIN" "$work/bureau"
cp fixtures/demo.yaml "$work/demo.yaml"
key=$(sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' fixtures/demo.yaml | head -n 1)

echo "== version"
(cd "$work" && env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= ./bureau --version) || fail "--version did not run"

echo "== serving the demo configuration from $work"
(cd "$work" && exec env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= HOME="$work" \
    ./bureau serve --config demo.yaml --data-dir ./data --port 0 >"$work/out" 2>"$work/err") &
pid=$!
for _ in $(seq 1 100); do
    grep -q 'Bureau is serving on' "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; fail "the server exited"; }
    sleep 0.1
done
url=$(sed -n 's/^Bureau is serving on //p' "$work/out" | head -n 1)
[ -n "$url" ] || fail "the server did not say where it listens"
status=$(curl -s -o "$work/desktops" -w '%{http_code}' -H "x-api-key: $key" "$url/api/desktops")
[ "$status" = 200 ] || fail "GET /api/desktops answered $status"
grep -q 'Demo desktop' "$work/desktops" || fail "the demo desktop is missing"
# The dashboard's files are in the binary itself: nothing beside it to read.
status=$(curl -s -o "$work/index.html" -w '%{http_code}' "$url/")
[ "$status" = 200 ] || fail "GET / answered $status"
cmp -s "$work/index.html" Sources/BureauDashboard/Assets/index.html || fail "GET / is not the embedded page"
status=$(curl -s -o "$work/dashboard.js" -w '%{http_code}' "$url/assets/dashboard.js")
[ "$status" = 200 ] && cmp -s "$work/dashboard.js" Sources/BureauDashboard/Assets/dashboard.js || fail "the script is not served from the binary"
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly"
ls "$work/data"/*.snap >/dev/null 2>&1 || fail "no final snapshot"
echo "release check passed: $(du -h "$BIN" | cut -f1) binary, no Swift runtime library needed"
