#!/bin/sh
# compare_builds.sh OLD_DEEPC NEW_DEEPC [REPS] — the same training runs with
# two builds of the deepc command, alternately (old, new, old, new, ...), on
# the workloads bench/RESULTS.md tracks: the Fashion MLP (a full epoch), the
# Fashion CNN (12,000 images), the spam LSTM (4,000 synthetic 200-word texts,
# bench/seq_data.py) and the char GPT (50 steps of 32 x 128 tokens), each at
# 2 threads. Prints each build's median epoch seconds and the ratio new/old
# (above 1: the new build is slower). Run from the repository root.
set -e
OLD=$1 NEW=$2 REPS=${3:-3}
PY=/usr/bin/python3
[ -f /tmp/deepc_seq_4000.csv ] || $PY bench/seq_data.py /tmp/deepc_seq_4000.csv 4000 > /dev/null
[ -f data/fortunes.txt ] || sh scripts/fortunes_txt.sh > /dev/null
secs() { # the first epoch's seconds from a --json run
  "$@" --quiet --json --force --out /tmp/compare_builds.safetensors 2>/dev/null | tail -1 |
    $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["history"][0]["seconds"])'
}
run() { # name, then the arguments after `deepc train`
  name=$1; shift
  o=""; n=""
  for i in $(seq 1 "$REPS"); do
    o="$o $(secs "$OLD" train "$@")"
    n="$n $(secs "$NEW" train "$@")"
  done
  $PY -c "
import statistics, sys
o = statistics.median(map(float, '$o'.split())); n = statistics.median(map(float, '$n'.split()))
print(f'{\"$name\":10} old {o:7.3f} s   new {n:7.3f} s   new/old {n / o:5.2f}')"
}
echo "median of $REPS epochs each, seconds (2 threads)"
run mlp models/fashion_mlp.dc --data fashion-mnist --epochs 1 --threads 2
run cnn models/fashion_cnn.dc --data fashion-mnist --epochs 1 --limit 12000 --threads 2
run lstm models/spam_lstm.dc --data /tmp/deepc_seq_4000.csv --epochs 1 --threads 2
run char_gpt models/char_gpt.dc --data data/fortunes.txt --epochs 1 --steps-per-epoch 50 --threads 2
