# IMR Ledger. `make demo` runs the main job, `make test` the tests; both install what is missing.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
STORE ?= ./imr-data
BENCH_EVENTS ?= 1000000

.PHONY: all deps build release test demo bench clean

all: build

# liblmdb-dev is installed only when pkg-config cannot find lmdb; apt-get update first,
# because a fresh machine's package lists may be empty.
deps:
	@if ! pkg-config --exists lmdb 2>/dev/null; then \
		echo "installing liblmdb-dev (and pkg-config)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps
	$(SWIFT) build
	./scripts/demo.sh "$$($(SWIFT) build --show-bin-path)" $(STORE)

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/imr-bench --events $(BENCH_EVENTS) --runs 3

clean:
	rm -rf .build $(STORE)
