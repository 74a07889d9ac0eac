#!/bin/sh
# Configures (once) and builds seg in build/ (Release). Usage: tools/build.sh [target...]
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
BUILD=${SEG_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=${SEG_BUILD_TYPE:-Release} ${SEG_CMAKE_ARGS:-} >/dev/null
fi
if [ $# -gt 0 ]; then cmake --build "$BUILD" --target "$@"; else cmake --build "$BUILD"; fi
