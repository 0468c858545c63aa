#!/usr/bin/env bash
# Builds the C++ core alone (no Node) with its unit tests and runs them.
# VS_SANITIZE=address,undefined builds and runs them under ASan/UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-native-tests${VS_SANITIZE:+-sanitize}
cmake -S . -B "$dir" -G Ninja -DVS_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVS_SANITIZE="${VS_SANITIZE:-}" ${CXX:+-DCMAKE_CXX_COMPILER="$CXX"} > /dev/null
cmake --build "$dir" > /dev/null
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "$dir"/*_test; do
  "$t" || status=1
done
exit $status
