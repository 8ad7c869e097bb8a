#!/bin/sh
# mpi_shard.sh [RUNS] — what --shard-data and --shard-optimizer save and
# cost on 2 ranks of 1 thread (mpirun): each rank's peak memory (maximum
# resident set, GNU time) and the epoch time, median of RUNS (3) runs of
# each setting, alternated.
#   - the Fashion MLP, one epoch of its recipe on the full training set:
#     plain, --shard-data, --shard-optimizer;
#   - GPT-2 small (models/gpt2.dc at 128 tokens, batch 2) on data/fortunes.txt,
#     2 steps: plain and --shard-optimizer (AdamW's moments are 990 MB).
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
sed -e 's/^input 1024/input 128/; s/maxlen=1024/maxlen=128/; s/batch_size=12/batch_size=2/' \
    -e "s|\.\./data/gpt2|$(pwd)/data/gpt2|g" models/gpt2.dc > "$W/gpt2_128.dc"
# one run: the epoch seconds (--json) and each rank's peak resident set in MB ("rank MB" lines from GNU time)
one() {
  mpirun --oversubscribe $ROOT -np 2 -x DEEPC_NUM_THREADS=1 /usr/bin/time -f "rank %M" "$D" train "$@" --quiet --json --force \
    --out "$W/out.safetensors" < /dev/null > "$W/run.json" 2> "$W/run.err" # (mpirun reads stdin)
  "$PY" - "$W/run.json" "$W/run.err" << 'PYEOF'
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
kb = sorted(int(l.split()[1]) for l in open(sys.argv[2]) if l.startswith("rank "))
print(j["seconds_per_epoch"], kb[0] / 1024, kb[-1] / 1024)
PYEOF
}
bench() { # NAME SETTINGS(;-separated) ARGS...
  name=$1; settings=$2; shift 2
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
    s, t, lo, hi = l.split()
    rows.setdefault(s, []).append((float(t), float(lo), float(hi)))
for s, v in rows.items():
    m = lambda i: statistics.median(x[i] for x in v)
    print("| %s | %s | %.2f s | %.0f MB | %.0f MB |" % (sys.argv[1], s, m(0), m(1), m(2)))
PYEOF
}
echo "| model (2 ranks × 1 thread) | setting | s/epoch | smaller rank's peak | larger rank's peak |"
echo "|---|---|---:|---:|---:|"
bench "Fashion MLP, 1 epoch" "plain;--shard-data;--shard-optimizer" models/fashion_mlp.dc --data fashion-mnist --epochs 1
bench "GPT-2 small, 128 tokens, 2 steps" "plain;--shard-optimizer" "$W/gpt2_128.dc" --data data/fortunes.txt --steps-per-epoch 2 --validation-steps 1
