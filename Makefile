# SPDX-License-Identifier: BSD-3-Clause
# The two commands of README.md. Each installs what it needs, builds, and runs.
#   make test   every test: Release build, then the ASan+UBSan build (what .ci/run calls)
#   make demo   the pipeline against the built-in simulator on loopback, live summary
# Other targets: build, asan, fuzz, fuzz-long, stress, format, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DURATION   ?= 30
CMAKE_ARGS ?=
# A test passes the first time: no retry (issue 18). `make stress` proves it under load.
CTEST_ARGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60
# fuzz-long: each target until FUZZ_RUNS executions (no time limit).
FUZZ_RUNS  ?= 10000000
# Fuzz targets run side by side, FUZZ_JOBS at a time (the CI machine has 2 cores);
# FUZZ_TARGETS (names, e.g. "fuzz_journal") runs only those.
FUZZ_JOBS  ?= 2
FUZZ_TARGETS ?=
# stress: the e2e and concurrency suites STRESS_N times beside stress-ng CPU+memory hogs.
STRESS_N   ?= 20

.PHONY: all setup build asan fuzz fuzz-build fuzz-long stress test test-release test-asan demo \
	format format-check clean

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
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE nosan $(CTEST_ARGS)

test: test-release test-asan format-check fuzz

# libFuzzer targets (tests/fuzz/): clang build with -DFP_FUZZ=ON, then every fuzz_* on its
# seed corpus (copies of ../shared/data made in the build folder), FUZZ_JOBS at a time, by
# tests/fuzz/run.sh: `fuzz` for FUZZ_TIME seconds each, `fuzz-long` for FUZZ_RUNS executions.
fuzz-build: setup
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFP_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fp_fuzz

fuzz: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz \
		-max_total_time=$(FUZZ_TIME)

fuzz-long: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz \
		-runs=$(FUZZ_RUNS)

# Not part of `make test`: the e2e and concurrency suites STRESS_N times under load.
stress: build
	STRESS_N=$(STRESS_N) bash tests/stress/stress.sh $(BUILD)

demo: build
	DURATION=$(DURATION) bash deploy/demo.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@files=$$(git ls-files '*.c' '*.h'); \
	if [ -n "$$files" ]; then clang-format --dry-run -Werror $$files && echo "format: clean"; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# ---- install and package (cmake/FastpathInstall.cmake, docs/operations.md; tests/install/) ----
#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/root]   binaries, headers, units, /etc/fastpath
#   make package                                           $(BUILD)/fastpath_<version>_amd64.deb
PREFIX  ?= /usr/local
DESTDIR ?=
.PHONY: install package

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

package: build
	cd $(BUILD) && cpack -G DEB --config CPackConfig.cmake
