#!/bin/sh
# mpi.sh [EPOCHS] — data-parallel training on this machine: one process of
# 2 threads against 2 MPI ranks of 1 thread each (mpirun), and 1 rank of 1
# thread (the ideal 2x is measured against it), for the Fashion MLP and
# CNN on the full training set, the spam LSTM and the char GPT, each with
# its own recipe for EPOCHS (1) epochs; the median seconds per epoch from
# --json of 3 runs (the MLP) or 1 (the others).
set -e
cd "$(dirname "$0")/.."
D=$(pwd)/build/deepc
W=${W:-/tmp/deepc_mpi_bench}
EPOCHS=${1:-1}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$W"
[ -f data/spam.csv ] || sh scripts/spam_csv.sh > /dev/null
[ -f data/fortunes.txt ] || sh scripts/fortunes_txt.sh > /dev/null
ROOT=""
[ "$(id -u)" = 0 ] && ROOT="--allow-run-as-root"
epoch_secs() { "$PY" -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['seconds_per_epoch'])" "$1"; }
run() { # NAME RUNS ARGS...: the median epoch time of each setting
  name=$1; runs=$2; shift 2
  for setting in "1 1" "1 2" "2 1"; do
    ranks=${setting% *}; threads=${setting#* }
    t=""
    for r in $(seq "$runs"); do
      if [ "$ranks" = 1 ]; then
        DEEPC_NUM_THREADS=$threads "$D" train "$@" --epochs "$EPOCHS" --quiet --json --force --out "$W/out.safetensors" > "$W/run.json"
      else
        mpirun --oversubscribe $ROOT -np "$ranks" -x DEEPC_NUM_THREADS=$threads "$D" train "$@" --epochs "$EPOCHS" --quiet --json --force \
          --out "$W/out.safetensors" > "$W/run.json"
      fi
      t="$t $(epoch_secs "$W/run.json")"
    done
    eval "t_${ranks}_${threads}=\$($PY -c \"import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))\" $t)"
  done
  "$PY" -c "
import sys
a, b, c = (float(x) for x in sys.argv[2:5])
print('| %s | %.2f s | %.2f s | %.2f s | %.2f× | %.0f%% |' % (sys.argv[1], a, b, c, b / c, 100 * a / c / 2))" "$name" "$t_1_1" "$t_1_2" "$t_2_1"
}
echo "| model | 1 rank × 1 thread | 1 rank × 2 threads | 2 ranks × 1 thread | 2 ranks vs 2 threads | of the ideal 2× |"
echo "|---|---:|---:|---:|---:|---:|"
run "Fashion MLP" 3 models/fashion_mlp.dc --data fashion-mnist
run "Fashion CNN" 1 models/fashion_cnn.dc --data fashion-mnist
run "spam LSTM" 1 models/spam_lstm.dc --data data/spam.csv --test-split 0.2 --stratify
run "char GPT" 1 models/char_gpt.dc --data data/fortunes.txt
