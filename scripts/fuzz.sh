#!/bin/sh
# fuzz.sh [SECONDS] [HARNESS...] — build the libFuzzer harnesses (clang 14,
# ASan + UBSan, build-fuzz/) and run each for SECONDS (default 30) from its
# seed corpus in fuzz/corpus/NAME. New inputs go to a scratch copy, so the
# repository's corpora only change by hand (scripts/fuzz.sh keeps them
# small). A crash stops the run and leaves the input in build-fuzz/crashes/.
# The CI step: `sh scripts/fuzz.sh ci` (10 harnesses, a fixed seed and run
# count each, about 2 minutes).
# A long campaign: FUZZ_RUNS=10000000 FUZZ_ASAN=0 sh scripts/fuzz.sh 0
# (FUZZ_ASAN=0: UBSan only, in build-fuzz-fast/, several times faster; its
# crashes are then replayed under ASan; docs/FUZZING.md).
set -e
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
[ $# -gt 0 ] && shift
ALL="safetensors describe idx csv tabular image state text bpe onnx"
HARNESSES=${*:-$ALL}
B=build-fuzz
[ "${FUZZ_ASAN:-1}" = 0 ] && B=build-fuzz-fast
CC=clang-14 cmake -S . -B $B -DDEEPC_FUZZ=ON -DDEEPC_FUZZ_ASAN="${FUZZ_ASAN:-1}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEEPC_NATIVE=OFF > /dev/null
for h in $HARNESSES; do TARGETS="$TARGETS fuzz_$h"; done
cmake --build $B -j"$(nproc)" --target $TARGETS > /dev/null
# inputs become files in memory (tmpfs): six times the runs of a disk
TMPDIR="$PWD/$B/tmp"
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm/deepc-fuzz-$$
mkdir -p $B/crashes "$TMPDIR"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# one thread: the harnesses test the decoders, not OpenMP (and stay reproducible)
export OMP_NUM_THREADS=1 DEEPC_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for h in $HARNESSES; do
  work="$B/corpus-$h"
  rm -rf "$work"; mkdir -p "$work"
  cp fuzz/corpus/"$h"/* "$work"/
  if [ "$SECONDS_EACH" = ci ]; then
    # CI: a fixed seed and a fixed number of runs (about 10 s each here): the
    # same inputs' neighbourhood every time, not a random walk that fails one
    # CI run in ten (libFuzzer is not bit-reproducible: coverage feedback
    # differs a little). Finding new bugs is the campaigns' job (FUZZ_RUNS).
    case $h in
      safetensors) n=70000;; describe) n=300000;; idx) n=120000;; csv) n=100000;;
      tabular) n=200000;; image) n=170000;; state) n=350000;; *) n=150000;;
    esac
    LIMIT="-runs=$n -seed=1"
  elif [ -n "${FUZZ_RUNS:-}" ]; then LIMIT="-runs=$FUZZ_RUNS"; else LIMIT="-max_total_time=$SECONDS_EACH"; fi
  # -rss_limit_mb: every loader must stay bounded; -timeout: and quick
  ./$B/fuzz_"$h" "$work" $LIMIT -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -artifact_prefix=$B/crashes/"$h"- -print_final_stats=1 > $B/"$h".log 2>&1 || {
    echo "fuzz_$h: FAILED ($B/$h.log, inputs in $B/crashes/)"; tail -40 $B/"$h".log; exit 1; }
  runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" $B/"$h".log | grep -o "[0-9]*$")
  echo "fuzz_$h: ${runs:-?} runs, no crash"
done
