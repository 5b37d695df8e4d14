# partnero-etl: the commands the README and CI use.
GO      ?= go
BIN     ?= bin/partnero-etl
PKGS    := ./...

.PHONY: all build test check fmt vet race bench fuzz demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/partnero-etl

# The one test command: the README and CI both run it.
test: fmt vet race

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

# Benchmarks: not run by 'make test'. Compare ratios within one run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m $(PKGS)

# The README's first command: migrate the Rewardful sample into a sandbox
# started in-process on loopback (no key, no network), export the result to
# ./demo-out as Parquet and CSV, and say what happened.
demo:
	$(GO) run ./cmd/partnero-etl demo

clean:
	rm -rf bin
