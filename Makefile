# Bureau: the two commands a fresh machine needs are `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
DEMO_CONFIG := fixtures/demo.yaml
DEMO_KEY := $(shell sed -n 's/^ *key: *\(lb_k_[A-Za-z0-9_]*\).*/\1/p' $(DEMO_CONFIG) | head -n 1)

.PHONY: run build release release-test test browser-test contract lint format bench bench-build bench-floor bench-storage bench-stream bench-fairness clean

## run: build, then serve the demo configuration (prints the URL and the demo API key)
run: build
	@echo "Demo API key (from $(DEMO_CONFIG)): $(DEMO_KEY)"
	@echo "Try: curl -H 'x-api-key: $(DEMO_KEY)' http://127.0.0.1:8080/api/desktops"
	$(SWIFT) run --skip-build bureau serve --config $(DEMO_CONFIG)

## build: debug build of the bureau binary, together with the tests: `make run` and `make test` then
## share one build (the tests need every module compiled for testing, so a build of the binary alone
## would compile every dependency a second time for them)
build:
	$(SWIFT) build --build-tests

## release: the optimised binary for self-hosters (.build/release/bureau), the Swift runtime linked in,
## without debug information (function names stay, for backtraces)
release:
	$(SWIFT) build -c release --static-swift-stdlib --product bureau -Xlinker --strip-debug

## release-test: checks that binary needs no Swift runtime library and serves the demo configuration
## from a copy in an empty directory (needs curl)
release-test: release
	bash scripts/check-release.sh

## test: every test target (warnings are errors in our targets), then the dashboard in a real browser
test: build
	$(SWIFT) test --skip-build
	$(PYTHON) Tests/Browser/dashboard_test.py --binary "$$($(SWIFT) build --show-bin-path)/bureau"

## browser-test: the dashboard in headless Chromium against the real binary, checked by axe-core; screenshots
## in .build/screenshots/ (needs chromium, chromium-driver and Tests/Browser/requirements.txt)
browser-test: build
	$(PYTHON) Tests/Browser/dashboard_test.py --binary "$$($(SWIFT) build --show-bin-path)/bureau"

## contract: schemathesis (Tests/Contract/requirements.txt) against a live demo server and its own
## /api/openapi.json: every check, every phase incl. stateful, a bounded number of examples; any failure
## fails (what it leaves out, and why: scripts/contract.sh, Tests/Contract/schemathesis.toml)
contract: build
	PYTHON=$(PYTHON) BIN="$$($(SWIFT) build --show-bin-path)/bureau" bash scripts/contract.sh

## lint: formatting check with the project's .swift-format
lint:
	$(SWIFT) format lint --strict -r Sources Tests Plugins Package.swift

## format: rewrite sources with the project's .swift-format
format:
	$(SWIFT) format format -i -r Sources Tests Plugins Package.swift

## bench: every benchmark below, then one results table in the shape of BENCHMARKS.md's (scripts/bench-all.sh);
## BENCH=auth,floor,tasks,storage,keys,snapmem,recovery,stream,fairness picks some, ROUNDS and DURATION reach every script (needs wrk,
## nginx, redis-server, python3; loads 127.0.0.1 only). BENCH=auth is scripts/bench.sh alone.
bench: bench-build
	PYTHON=$(PYTHON) bash scripts/bench-all.sh

## bench-build: the release builds the benchmarks run: bureau, and BureauBenchmarks with the same flags
bench-build: release
	$(SWIFT) build -c release --static-swift-stdlib --product BureauBenchmarks -Xlinker --strip-debug

## bench-floor: nginx, a bare SwiftNIO server, a bare Hummingbird route and Bureau (its authenticated route by default
## and through the router) at 64 and 1,024 connections,
## interleaved (needs wrk, nginx)
bench-floor: bench-build
	bash scripts/bench-floor.sh

## bench-storage: fsync, snapshot, restart and memory against Redis (needs wrk, redis-server, redis-cli)
bench-storage: release
	bash scripts/bench-storage.sh

## bench-stream: 5,000 activity streams: memory per idle stream, delivery delay (needs python3)
bench-stream: bench-build
	$(PYTHON) scripts/bench-stream.py 5000 20

## bench-fairness: another user's latency while one user lists a 1,000,000-task account, against the
## baseline BASE (default: the merge base with main) built in .build-base/ (needs wrk, python3)
bench-fairness: release
	bash scripts/bench-fairness.sh

clean:
	rm -rf .build
