#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: run the main job from a build folder. Until the order path lands this runs
# what exists (the ring benchmark); see README.md.
set -euo pipefail
build=${1:-build}
if [[ -x $build/bin/fastpath-bench ]]; then
	exec "$build/bin/fastpath-bench" ring
fi
echo "demo: $build/bin/fastpath-bench is missing; run 'make build' first" >&2
exit 1
