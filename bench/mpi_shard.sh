#!/bin/sh
# mpi_shard.sh [RUNS] — what --shard-data and --shard-optimizer save and
# cost on 2 ranks of 1 thread (mpirun): each rank's peak memory (maximum
# resident set, GNU time), the epoch time and the whole command's (the
# slower rank's: loading included), median of RUNS (3) runs of each
# setting, alternated.
#   - the Fashion MLP, one epoch of its recipe on the full training set:
#     plain, --shard-data, --shard-optimizer;
#   - a small CNN on a folder of 12,000 Fashion-MNIST PNGs (two classes,
#     scripts/fashion_folders.py) read as 3x96x96 (332 MB of pixels), 20
#     augmented steps: plain and --shard-data (each rank decodes and holds
#     its half);
#   - GPT-2 small (models/gpt2.dc at 128 tokens, batch 2) on data/fortunes.txt,
#     2 steps: plain and --shard-optimizer (AdamW's moments are 990 MB; the
#     saved state reaches rank 0 slice by slice); then resumed from the
#     saved state for 2 more steps (sharded, each rank reads its slice);
#   - the char GPT (models/char_gpt.dc) on 128 MB of text (data/fortunes.txt
#     50 times), 5 steps: plain and --shard-data (each rank reads and
#     tokenizes its half, and holds its half of the windows).
#   - scikit-learn's breast cancer table 1,000 times over (569,000 rows,
#     about 120 MB of CSV), stratified, standard scaling, 20 steps: plain
#     and --shard-data (each rank parses its part of the records; the
#     pipeline is fitted over all of them).
# ONLY=TEXT runs the cases whose name holds TEXT.
set -e
cd "$(dirname "$0")/.."
D=$(pwd)/build/deepc
W=${W:-/tmp/deepc_shard_bench}
RUNS=${1:-3}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$W"
[ -f data/fortunes.txt ] || sh scripts/fortunes_txt.sh > /dev/null
ROOT=""
[ "$(id -u)" = 0 ] && ROOT="--allow-run-as-root"
[ -d "$W/shoes/train" ] || "$PY" scripts/fashion_folders.py "$W/shoes" 6000 0 > /dev/null
printf 'input 3x96x96\nconv2d 8 kernel=3 activation=relu\nmaxpool2d 4\nconv2d 16 kernel=3 padding=same activation=relu\nglobal_avg_pool2d\ndense 1 activation=sigmoid\nloss binary_crossentropy\noptimizer adam lr=0.001\nfit epochs=1 batch_size=64 seed=3\n' > "$W/shoes.dc"
sed -e 's/^input 1024/input 128/; s/maxlen=1024/maxlen=128/; s/batch_size=12/batch_size=2/' \
    -e "s|\.\./data/gpt2|$(pwd)/data/gpt2|g" models/gpt2.dc > "$W/gpt2_128.dc"
# one run: the epoch seconds (--json), each rank's peak resident set in MB
# and the slower rank's wall seconds (GNU time, a file per rank: OpenMPI's
# OMPI_COMM_WORLD_RANK names it)
one() {
  rm -f "$W"/time.*
  mpirun --oversubscribe $ROOT -np 2 -x DEEPC_NUM_THREADS=1 sh -c '/usr/bin/time -o "$0/time.$OMPI_COMM_WORLD_RANK" -f "%M %e" "$@"' \
    "$W" "$D" train "$@" --quiet --json --force --out "$W/out.safetensors" < /dev/null > "$W/run.json" 2> "$W/run.err" # (mpirun reads stdin)
  "$PY" - "$W/run.json" "$W"/time.* << 'PYEOF'
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
r = [open(f).read().split()[-2:] for f in sys.argv[2:]]
kb = sorted(int(x[0]) for x in r)
print(j["seconds_per_epoch"], kb[0] / 1024, kb[-1] / 1024, max(float(x[1]) for x in r))
PYEOF
}
bench() { # NAME SETTINGS(;-separated) ARGS...
  name=$1; settings=$2; shift 2
  case "$name" in *"${ONLY:-}"*) ;; *) return 0 ;; esac
  echo "$settings" | tr ';' '\n' > "$W/settings"
  : > "$W/results"
  for r in $(seq "$RUNS"); do
    while read -r s; do
      flag=""; [ "$s" != plain ] && flag="$s"
      echo "$s $(one "$@" $flag)" >> "$W/results"
    done < "$W/settings"
  done
  "$PY" - "$name" "$W/results" << 'PYEOF'
import statistics, sys
rows = {}
for l in open(sys.argv[2]):
    s, t, lo, hi, wall = l.split()
    rows.setdefault(s, []).append((float(t), float(lo), float(hi), float(wall)))
for s, v in rows.items():
    m = lambda i: statistics.median(x[i] for x in v)
    print("| %s | %s | %.2f s | %.1f s | %.0f MB | %.0f MB |" % (sys.argv[1], s, m(0), m(3), m(1), m(2)))
PYEOF
}
echo "| model (2 ranks × 1 thread) | setting | s/epoch | command, wall | smaller rank's peak | larger rank's peak |"
echo "|---|---|---:|---:|---:|---:|"
bench "Fashion MLP, 1 epoch" "plain;--shard-data;--shard-optimizer" models/fashion_mlp.dc --data fashion-mnist --epochs 1
bench "CNN, 12,000 PNGs at 3x96x96, 20 steps" "plain;--shard-data" "$W/shoes.dc" --data "$W/shoes/train" --augment rotation=15,shift=0.1,hflip --steps-per-epoch 20
bench "GPT-2 small, 128 tokens, 2 steps" "plain;--shard-optimizer" "$W/gpt2_128.dc" --data data/fortunes.txt --steps-per-epoch 2 --validation-steps 1
# resumed for 2 more steps from the last run's state (1.5 GB: weights, moments): sharded, each rank reads its slice of the moments from the file
case "GPT-2 small, 128 tokens" in *"${ONLY:-}"*) cp "$W/out.safetensors" "$W/gpt2_state.safetensors" ;; esac
bench "GPT-2 small, resumed, 2 steps" "plain;--shard-optimizer" --resume "$W/gpt2_state.safetensors" --data data/fortunes.txt --epochs 2 --steps-per-epoch 2 --validation-steps 1
[ -f "$W/big.txt" ] || for i in $(seq 50); do cat data/fortunes.txt; done > "$W/big.txt"
bench "char GPT, 128 MB of text, 5 steps" "plain;--shard-data" models/char_gpt.dc --data "$W/big.txt" --epochs 1 --steps-per-epoch 5 --validation-steps 1
SK=/usr/lib/python3/dist-packages/sklearn/datasets/data
[ -f "$W/cancer1000.csv" ] || { head -1 "$SK/breast_cancer.csv"; for i in $(seq 1000); do tail -n +2 "$SK/breast_cancer.csv"; done; } > "$W/cancer1000.csv"
bench "breast cancer x1000, 569,000 rows, 20 steps" "plain;--shard-data" models/breast_cancer.dc --data "$W/cancer1000.csv" --skip-rows 1 --no-header --test-split 0.2 --stratify --scale standard --epochs 1 --steps-per-epoch 20
