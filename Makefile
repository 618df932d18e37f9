# QKD Chat. `make run` starts the app, `make test` runs the whole check.
# Both install what is missing first (scripts/install-deps.sh).

GO      ?= go
BIN     ?= bin/qkdchat
TESTFLAGS ?= -race -count=1 -timeout 30m

export CGO_ENABLED := 1

# Release packages: `make package` builds both into dist/ with the fyne
# packager, pinned here and installed into bin/tools (nothing global);
# `make check-package` builds them and runs the smoke test on them.
FYNE_VERSION ?= v1.7.4
FYNE         := bin/tools/fyne-$(FYNE_VERSION)/fyne
VERSION      := $(shell sed -n 's/^Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
HOST_ARCH    := $(shell $(GO) env GOARCH 2>/dev/null)
LINUX_PKG    := dist/qkdchat-$(VERSION)-linux-$(HOST_ARCH).tar.xz
WINDOWS_PKG  := dist/qkdchat-$(VERSION)-windows-amd64.exe

.PHONY: all deps deps-test build run test fmt-check vet unit clean
.PHONY: deps-package tools package package-linux package-windows check-package
.PHONY: screenshots fuzz

all: build

deps:
	@scripts/install-deps.sh build
	@$(GO) mod download

deps-test:
	@scripts/install-deps.sh test
	@$(GO) mod download

deps-package:
	@scripts/install-deps.sh package
	@$(GO) mod download

build: deps
	$(GO) build -o $(BIN) .

run: build
	./$(BIN)

test: deps-test fmt-check vet unit

fmt-check:
	@echo "== gofmt -l"
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@echo "== go vet ./..."
	$(GO) vet ./...
	cd clocale && $(GO) vet ./...

unit:
	@echo "== go test $(TESTFLAGS) ./..."
	$(GO) test $(TESTFLAGS) ./...
	cd clocale && $(GO) test $(TESTFLAGS) ./...

tools: $(FYNE)

$(FYNE):
	GOBIN=$(abspath $(dir $(FYNE))) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)

package: deps-package $(FYNE)
	FYNE=$(FYNE) scripts/package.sh linux windows

package-linux: deps-package $(FYNE)
	FYNE=$(FYNE) scripts/package.sh linux

package-windows: deps-package $(FYNE)
	FYNE=$(FYNE) scripts/package.sh windows

check-package: package
	@echo "== smoke test of $(LINUX_PKG) and $(WINDOWS_PKG)"
	scripts/smoke-package.sh $(LINUX_PKG) $(WINDOWS_PKG)

# `make fuzz` runs every fuzz target of FUZZPKGS in turn, each for
# FUZZTIME, with at most FUZZMINIMIZETIME spent minimizing a new input
# (the default 60s would dominate short runs) and FUZZPARALLEL workers.
# One target: make fuzz FUZZPKGS=./qkd FUZZRUN=FuzzBobAgainstLyingAlice
# A failing input is written to the package's testdata/fuzz/<target>/.
FUZZPKGS          ?= ./qkd ./ledger ./node ./session ./delivery ./store ./transport ./invite ./nearby ./cli ./ui/widgets
FUZZRUN           ?= Fuzz
FUZZTIME          ?= 30s
FUZZMINIMIZETIME  ?= 5s
FUZZPARALLEL      ?= 1

fuzz: deps-test
	@set -e; for pkg in $(FUZZPKGS); do \
	  for t in $$(grep -ho '^func $(FUZZRUN)[A-Za-z0-9_]*(f \*testing\.F)' $$pkg/*_test.go | sed 's/^func \([A-Za-z0-9_]*\).*/\1/' | sort -u); do \
	    echo "== fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZPARALLEL) $$pkg; \
	  done; \
	done

# PNGs of every pane in light and dark, from the real app under Xvfb.
screenshots: deps-test build
	scripts/screenshots.sh $(BIN) docs/screenshots

clean:
	rm -rf bin dist
