# SPDX-License-Identifier: BSD-3-Clause
# The two commands of README.md. Each installs what it needs, builds, and runs.
#   make test   every test: Release build, then the ASan+UBSan build (what .ci/run calls)
#   make demo   the pipeline against the built-in simulator on loopback, live summary
# Other targets: build, asan, format, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DURATION   ?= 30
CMAKE_ARGS ?=

.PHONY: all setup build asan test test-release test-asan demo format format-check clean

all: build

setup:
	@bash deploy/setup.sh

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFP_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE nosan

test: test-release test-asan format-check

demo: build
	DURATION=$(DURATION) bash deploy/demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@files=$$(git ls-files '*.c' '*.h'); \
	if [ -n "$$files" ]; then clang-format --dry-run -Werror $$files && echo "format: clean"; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
