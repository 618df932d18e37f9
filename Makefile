# QKD Chat. `make run` starts the app, `make test` runs the whole check.
# Both install what is missing first (scripts/install-deps.sh).

GO      ?= go
BIN     ?= bin/qkdchat
TESTFLAGS ?= -race -count=1 -timeout 30m

export CGO_ENABLED := 1

.PHONY: all deps deps-test build run test fmt-check vet unit clean

all: build

deps:
	@scripts/install-deps.sh build
	@$(GO) mod download

deps-test:
	@scripts/install-deps.sh test
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

unit:
	@echo "== go test $(TESTFLAGS) ./..."
	$(GO) test $(TESTFLAGS) ./...

clean:
	rm -rf bin dist
