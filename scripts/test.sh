#!/bin/sh
# test.sh — the whole test suite: set up, build, run every test; then build
# again with AddressSanitizer + UBSan and run the suite once more; then the
# concurrency test under ThreadSanitizer; then run
# each fuzz harness for a fixed seed and run count (DEEPC_FUZZ_SECONDS=N:
# N seconds each, random seeds, instead).
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
JOBS=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$JOBS"
# the tests two at a time on this 2-core machine: the release suite took 6.5
# minutes alone and 4 two at a time, the sanitized one 13 and 9
(cd build && ctest -j"$JOBS" --output-on-failure)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDEEPC_SANITIZE=ON > /dev/null
cmake --build build-asan -j"$JOBS"
# (the server test takes the release run's models: SERVE_MODELS, tests/serve.sh)
(cd build-asan && SERVE_MODELS="$(pwd)/../build/tests/serve_tmp" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j"$JOBS" --output-on-failure)
# ThreadSanitizer: sessions and generators on 8 threads over one model, and
# the server (its connection, batcher and scheduler threads) under load
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DDEEPC_TSAN=ON > /dev/null
cmake --build build-tsan -j"$JOBS" --target test_session deepc_cli
# (one OpenMP thread: libgomp is not instrumented, its barriers look like races)
(cd build-tsan && SERVE_MODELS="$(pwd)/../build/tests/serve_tmp" DEEPC_NUM_THREADS=1 OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:exitcode=66 ctest --output-on-failure -R '^(session|serve)$')
# every loader's libFuzzer harness, briefly, from its seed corpus (ASan + UBSan)
sh scripts/fuzz.sh "${DEEPC_FUZZ_SECONDS:-ci}"
