# IMR Ledger. `make demo` runs the main job, `make test` the tests; both install what is missing.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
STORE ?= ./imr-data
BENCH_EVENTS ?= 1000000

.PHONY: all deps browser-deps build release test demo bench load-bench screenshot clean

all: build

# liblmdb-dev is installed only when pkg-config cannot find lmdb; apt-get update first,
# because a fresh machine's package lists may be empty.
deps:
	@if ! pkg-config --exists lmdb 2>/dev/null; then \
		echo "installing liblmdb-dev (and pkg-config)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config; \
	fi

# The browser tests drive headless Chromium through chromedriver (Debian's chromium and
# chromium-driver); installed only when missing.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing chromium and chromium-driver (for the browser tests)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps browser-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The main job: a release build, then `imr demo` (a seeded 12-site program recorded through the
# record's rules, projected, checkpointed and audited), then the auditor's own check with
# imr-audit, from the key and the checkpoint alone.
demo: release
	@BIN="$$($(SWIFT) build -c release --show-bin-path)"; \
	"$$BIN/imr" demo --store $(STORE) && \
	echo && echo "the auditor's independent check (imr-audit, read-only, with the key and the checkpoint):" && \
	"$$BIN/imr-audit" verify $(STORE) --key "$$("$$BIN/imr" key $(STORE))" --checkpoint $(STORE).checkpoint

# docs/report.png, the README's picture of the demo's report (after `make demo`).
screenshot: release browser-deps
	./scripts/screenshot.sh $(STORE)

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/imr-bench --events $(BENCH_EVENTS) --runs 3

# The HTTP load benchmark (wrk, installed when missing): queries, feed pages and appends over
# 64 connections against `imr serve` on 127.0.0.1, beside imr-bench's in-process rate.
load-bench: deps
	./scripts/load-bench.sh

clean:
	rm -rf .build $(STORE)
