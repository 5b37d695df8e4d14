# partnero-etl: the commands the README and CI use.
GO      ?= go
BIN     ?= bin/partnero-etl
PKGS    := ./...

.PHONY: all build test fmt vet race interop bench fuzz demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/partnero-etl

# The one test command: the README and CI both run it.
test: fmt vet race interop

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

# Independent read-back of the Parquet export with Apache Arrow: a nested
# module, so Arrow never enters the tool's go.mod (the first run builds Arrow,
# about two minutes).
interop:
	cd sinks/parquet/interop && $(GO) test -count=1 ./...

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
	$(GO) run ./cmd/partnero-etl demo

clean:
	rm -rf bin bench.out bench.status
