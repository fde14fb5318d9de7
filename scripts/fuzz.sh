#!/usr/bin/env bash
# Builds and runs convsim's libFuzzer harnesses (tests/fuzz; clang + libclang-rt-14-dev, see
# scripts/install-deps.sh) under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/fuzz.sh build DIR                   configure tests/fuzz with clang++ into DIR and build
#   scripts/fuzz.sh run DIR HARNESS [LIMIT]     run DIR/HARNESS_fuzz on its seed corpus; LIMIT is
#                                               seconds (default 60) or runs as "runs=N"
# A crash, a sanitizer report, a failed property, a timeout (10 s per input) or running out of
# memory (2 GB) fails the command; the input that did it is kept in DIR/artifacts/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:?usage: fuzz.sh build DIR | run DIR HARNESS [SECONDS|runs=N]}"
dir="${2:?missing build folder}"

case "$mode" in
  build)
    clangxx="$(command -v clang++ || true)"
    if [[ -z "$clangxx" ]]; then
      echo "fuzz.sh: clang++ not found; install clang and libclang-rt-14-dev (scripts/install-deps.sh)" >&2
      exit 1
    fi
    cmake -S "$root/tests/fuzz" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=None >/dev/null
    cmake --build "$dir" -j "${JOBS:-2}"
    ;;
  run)
    harness="${3:?missing harness: scenario, sweep or csv}"
    limit="${4:-60}"
    if [[ "$limit" == runs=* ]]; then
      bound=(-runs="${limit#runs=}")
    else
      bound=(-max_total_time="$limit")
    fi
    corpus="$dir/corpus/$harness"
    mkdir -p "$corpus" "$dir/artifacts"
    # New inputs go to DIR/corpus/HARNESS; the seed corpus in the source tree is only read.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    cd "$dir"
    exec "./${harness}_fuzz" "${bound[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/${harness}-" "$corpus" "$root/tests/fuzz/corpus/$harness"
    ;;
  *)
    echo "fuzz.sh: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
