#!/usr/bin/env bash
# Builds every libFuzzer target (native/fuzz/*_fuzz.cc) with ASan/UBSan and
# runs each for its share of the given seconds (default 60 in total).
# Seeds: the frames of the captures in ../shared/corpora when present
# (extracted by scripts/fuzz-seeds.py), plus whatever a previous run found.
#   bash scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVS_FUZZ=ON -DVS_SANITIZE=address,undefined > /dev/null
cmake --build "$dir" > /dev/null
targets=()
for src in native/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
per=$(( total / ${#targets[@]} ))
(( per > 0 )) || per=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus"
  seeds="$dir/seeds/$t"
  mkdir -p "$seeds"
  if [[ -d ../shared/corpora ]] && [[ -z "$(ls -A "$seeds")" ]]; then
    python3 scripts/fuzz-seeds.py ../shared/corpora "$seeds"
  fi
  echo "== $t: ${per}s"
  "$dir/$t" -max_total_time="$per" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$dir/$t-" "$corpus" "$seeds" || status=1
done
exit $status
