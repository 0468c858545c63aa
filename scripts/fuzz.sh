#!/usr/bin/env bash
# Builds the C++ core with clang, ASan and UBSan once, runs the C++ unit
# tests (test/native) in that build, then every libFuzzer target
# (native/fuzz/*_fuzz.cc) for its share of the given seconds (default 60 in total).
# Seeds: the frames of the captures in ../shared/corpora when present
# (extracted by scripts/fuzz-seeds.py), plus whatever a previous run found.
#   bash scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVS_FUZZ=ON -DVS_BUILD_TESTS=ON -DVS_SANITIZE=address,undefined > /dev/null
cmake --build "$dir" > /dev/null
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$dir"/*_test; do "$t"; done
targets=()
for src in native/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
per=$(( total / ${#targets[@]} ))
(( per > 0 )) || per=1
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
  log="$dir/$t.log"
  if "$dir/$t" -max_total_time="$per" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$dir/$t-" "$corpus" "$seeds" > "$log" 2>&1; then
    grep -E '^Done|stat::number_of_executed_units' "$log" || true
  else
    tail -n 60 "$log"
    status=1
  fi
done
exit $status
