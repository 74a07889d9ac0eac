#!/bin/sh
# Quick start command 2: set up, build and run every test.
set -eu
cd "$(dirname "$0")/.."
tools/build.sh
ctest --test-dir "${SEG_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
