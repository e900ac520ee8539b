# Loft - the two commands a new developer needs:
#   make run    install missing Debian packages, build, start the demo server
#   make test   the whole test suite (unit, integration, sanitizers, fuzz)

BUILD ?= build

.PHONY: all deps build run test clean format

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@sh scripts/build.sh $(BUILD)

run: build
	@sh scripts/demo.sh

test: deps
	@bash scripts/run-tests.sh

format:
	@find src tests -name '*.[ch]' -print0 | xargs -0 clang-format -i

clean:
	rm -rf build build-asan build-fuzz demo
