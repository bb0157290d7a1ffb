# SPDX-License-Identifier: BSD-3-Clause
# The two commands of README.md. Each installs what it needs, builds, and runs.
#   make test   every test: Release build, then the ASan+UBSan build (what .ci/run calls)
#   make demo   the pipeline against the built-in simulator on loopback, live summary
# Other targets: build, asan, fuzz, format, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DURATION   ?= 30
CMAKE_ARGS ?=
# Several suites measure timing across processes; on a loaded 2-core machine one of them
# can miss a deadline. A test that fails is run once more, and ctest reports it as such.
CTEST_ARGS ?= --repeat until-pass:2
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60

.PHONY: all setup build asan fuzz test test-release test-asan demo format format-check clean

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

# libFuzzer targets (tests/fuzz/): clang build with -DFP_FUZZ=ON, then every fuzz_* for
# FUZZ_TIME seconds on its seed corpus (copies of ../shared/data made in the build folder).
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFP_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fp_fuzz
	@set -e; dir=$(FUZZ_BUILD)/fuzz; for t in $$dir/fuzz_*; do \
		[ -x "$$t" ] || continue; n=$$(basename $$t); seed=$$dir/seed/$${n#fuzz_}; \
		mkdir -p $$dir/corpus/$$n $$seed; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		if ! $$t -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 \
			-artifact_prefix=$$dir/$$n- $$dir/corpus/$$n $$seed >$$dir/$$n.log 2>&1; then \
			tail -40 $$dir/$$n.log; echo "fuzz: $$n failed (log $$dir/$$n.log)"; exit 1; \
		fi; \
		grep -E 'stat::number_of_executed_units|cov:' $$dir/$$n.log | tail -2; \
	done

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
