# partnero-etl: the commands the README and CI use.
GO      ?= go
BIN     ?= bin/partnero-etl
PKGS    := ./...

# The version the binary reports (partnero-etl version, the User-Agent, the
# export manifest): git describe of the checkout when there is one. Without
# it the binary reports what go build recorded (the module version, or the
# VCS revision), else "dev".
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS  = $(if $(VERSION),-X main.version=$(VERSION))

.PHONY: all build test fmt vet lint race interop bench fuzz demo clean release-check duckdb

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/partnero-etl

# The one test command: the README and CI both run it.
test: fmt vet lint race interop

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# staticcheck (a release that builds with Go 1.26), from GOBIN or
# GOPATH/bin where go install puts it; installed there when missing. Then
# the layering check (internal/layering): which package may import which.
STATICCHECK_VERSION ?= v0.8.2
GOBIN_DIR   := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
STATICCHECK ?= $(GOBIN_DIR)/staticcheck
lint: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)
	$(GO) test -count=1 ./internal/layering

$(GOBIN_DIR)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

race:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

# Independent read-back of the Parquet export with Apache Arrow: a nested
# module, so Arrow never enters the tool's go.mod. The first run downloads
# Arrow and its dependencies from the Go module proxy (16 modules, about
# 105 MB; the README's Quick start says so) and builds them (about two
# minutes); later runs use the module and build caches.
interop:
	cd sinks/parquet/interop && $(GO) test -count=1 ./...

# DuckDB for Node (the engine is bundled: no extension download), the
# independent reader that pipeline/export's read-back test runs when it is
# installed here (the test skips without it unless CI is set).
DUCKDB_NODE_DIR ?= .cache/duckdb-node
DUCKDB_NODE_API ?= @duckdb/node-api@1.5.6-r.1
duckdb:
	mkdir -p $(DUCKDB_NODE_DIR)
	cd $(DUCKDB_NODE_DIR) && npm install --no-audit --no-fund --no-save --loglevel=error $(DUCKDB_NODE_API)

# Fuzz every decoder for FUZZTIME each (their seed corpora already run in
# 'make test').
FUZZTIME ?= 30s
fuzz:
	@for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Benchmarks: not run by 'make test'. Compare ratios within one run.
# BENCH_SCALE=quick (the default, minutes) or full (10M rows and the long
# rate runs: an hour or more). Every benchmark's output is kept in
# bench.out; the lines marked "row:" (each measures a performance goal beside
# its baseline as a ratio, and states the goal) are repeated at the end.
BENCH_SCALE   ?= quick
BENCH_TIMEOUT ?= 4h
export BENCH_SCALE
bench:
	@rm -f bench.out bench.status
	@{ $(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout $(BENCH_TIMEOUT) $(PKGS); echo $$? > bench.status; } 2>&1 | tee bench.out
	@echo; echo "== performance goals (BENCH_SCALE=$(BENCH_SCALE))"; \
	grep -h '^ *[^ ]*_test.go:[0-9]*: row: ' bench.out | sed 's/^ *[^ ]*_test.go:[0-9]*: row: /  /'; \
	status=$$(cat bench.status); rm -f bench.status; exit $$status

# The README's first command: migrate the Rewardful sample into a sandbox
# started in-process on loopback (no key, no network), export the result to
# ./demo-out as Parquet and CSV, and say what happened.
demo:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/partnero-etl demo

# Release configuration check and a snapshot build of every archive and
# package (.goreleaser.yaml) into dist/, without publishing. Needs goreleaser
# on PATH: 'go install github.com/goreleaser/goreleaser/v2@v2.14.3' (a
# release that builds with this project's Go 1.26). CI runs it after
# 'make test'.
GORELEASER ?= goreleaser
release-check:
	$(GORELEASER) check
	$(GORELEASER) release --snapshot --clean --skip=publish
	@ls dist/*.tar.gz dist/*.zip dist/*.deb dist/*.rpm dist/checksums.txt

clean:
	rm -rf bin dist bench.out bench.status
