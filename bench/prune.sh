#!/bin/bash
# bench/prune.sh — pruning on the full Fashion-MNIST with the default
# recipes: train the MLP and the CNN as the README says, then prune each to
# 50, 80 and 90% (unstructured, each matrix alone) and to 50% structured,
# fine-tuning EPOCHS epochs (the ramp over all but the last), and report
# test accuracy, the file's size against the float weights alone (deepc
# export --weights-only) and the parameters left.
#   bash bench/prune.sh [build/deepc] [EPOCHS]      (about 25 minutes on 2 cores)
set -eu
D=$(realpath "${1:-build/deepc}")
EPOCHS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
acc() { "$D" eval "$1" --data fashion-mnist --json | tail -1 | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["test_accuracy"])'; }
size() { stat -c %s "$1"; }
for net in mlp cnn; do
    "$D" train "$ROOT/models/fashion_$net.dc" --data fashion-mnist --out $net.safetensors --quiet
    "$D" export $net.safetensors --format safetensors --weights-only --out $net.weights.safetensors --quiet
    base=$(acc $net.safetensors)
    fsize=$(size $net.weights.safetensors)
    echo "$net float: test accuracy $base, weights $fsize bytes"
    for s in 0.5 0.8 0.9; do
        "$D" prune $net.safetensors --sparsity $s --data fashion-mnist --epochs "$EPOCHS" --out $net.$s.safetensors --quiet
        a=$(acc $net.$s.safetensors)
        echo "$net $s unstructured: test accuracy $a ($(python3 -c "print('%+.2f' % (100*($a-$base)))") points), file $(size $net.$s.safetensors) bytes ($(python3 -c "print('%.3f' % ($(size $net.$s.safetensors)/$fsize))")x the float weights)"
    done
    "$D" prune $net.safetensors --sparsity 0.5 --structured --data fashion-mnist --epochs "$EPOCHS" --out $net.s50.safetensors --quiet
    a=$(acc $net.s50.safetensors)
    echo "$net 0.5 structured: test accuracy $a ($(python3 -c "print('%+.2f' % (100*($a-$base)))") points), file $(size $net.s50.safetensors) bytes ($(python3 -c "print('%.3f' % ($(size $net.s50.safetensors)/$fsize))")x)"
done
