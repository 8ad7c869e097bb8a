#!/bin/sh
# mpi_overlap.sh [RUNS] — the gradients' all-reduce overlapped with the
# backward pass (--overlap: buckets started as the backward completes
# them) against after it (the default), 2 ranks of 1 thread, runs
# alternated: the median seconds per epoch and all-reduce milliseconds per
# step (the part the backward did not hide) of RUNS (5) runs each. The
# Fashion CNN on its full training set (one epoch), the char GPT on 100
# steps of its recipe, and the same with the optimizer sharded (then the
# reduce-scatter is what --overlap starts during the backward).
set -e
cd "$(dirname "$0")/.."
D=$(pwd)/build/deepc
W=${W:-/tmp/deepc_overlap_bench}
RUNS=${1:-5}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$W"
[ -f data/fortunes.txt ] || sh scripts/fortunes_txt.sh > /dev/null
ROOT=""
[ "$(id -u)" = 0 ] && ROOT="--allow-run-as-root"
field() { "$PY" -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }
median() { "$PY" -c "import statistics,sys; print('%.3f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
bench() { # NAME ARGS...
  name=$1; shift
  so=""; sn=""; co=""; cn=""
  for r in $(seq "$RUNS"); do
    for mode in overlap no; do
      flag="--overlap"; [ $mode = no ] && flag=""
      mpirun --oversubscribe $ROOT -np 2 -x DEEPC_NUM_THREADS=1 "$D" train "$@" $flag --quiet --json --force --out "$W/out.safetensors" > "$W/run.json"
      s=$(field "$W/run.json" seconds_per_epoch); c=$(field "$W/run.json" allreduce_ms_per_step)
      if [ $mode = overlap ]; then so="$so $s"; co="$co $c"; else sn="$sn $s"; cn="$cn $c"; fi
    done
  done
  echo "| $name | $(median $so) s | $(median $co) ms | $(median $sn) s | $(median $cn) ms |"
}
echo "| model (2 ranks × 1 thread) | overlapped: s/epoch | exposed all-reduce | after backward: s/epoch | all-reduce |"
echo "|---|---:|---:|---:|---:|"
bench "Fashion CNN, 1 epoch" models/fashion_cnn.dc --data fashion-mnist --epochs 1
bench "char GPT, 100 steps" models/char_gpt.dc --data data/fortunes.txt --epochs 1 --steps-per-epoch 100 --validation-steps 5
bench "char GPT, 100 steps, --shard-optimizer" models/char_gpt.dc --data data/fortunes.txt --epochs 1 --steps-per-epoch 100 --validation-steps 5 --shard-optimizer
