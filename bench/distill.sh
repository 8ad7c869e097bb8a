#!/bin/sh
# distill.sh [BUILD] [T] [ALPHA] [TEACHER_EPOCHS] — does distillation pay?
# The Fashion CNN (models/fashion_cnn.dc, TEACHER_EPOCHS (4) epochs on the
# 60,000 images; 15: its whole recipe) teaches a Dense 32
# student (10 epochs); the same student trained alone on the same data and
# seed is the baseline; three seeds. Prints a Markdown table of test
# accuracies for bench/RESULTS.md.
set -eu
D=${1:-build}/deepc; T=${2:-1}; A=${3:-0.5}; TE=${4:-4}
W=/tmp/deepc_bench_distill_$TE
mkdir -p "$W"
[ -f "$W/teacher.safetensors" ] || "$D" train models/fashion_cnn.dc --data fashion-mnist --epochs "$TE" --out "$W/teacher.safetensors" --force --quiet
acc() { "$D" eval "$1" --data fashion-mnist --json | tail -1 | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['test_accuracy'])"; }
echo "teacher (Fashion CNN, $TE epochs): test accuracy $(acc "$W/teacher.safetensors")"
echo "| seed | Dense 32 alone | distilled (T $T, alpha $A) | difference |"
echo "|---:|---:|---:|---:|"
for seed in 1 2 3; do
  printf 'input 1x28x28\nflatten\ndense 32 activation=relu\ndense 10 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=10 batch_size=64 validation_split=0.1 seed=%d\n' $seed > "$W/s$seed.dc"
  [ -f "$W/alone$seed.safetensors" ] || "$D" train "$W/s$seed.dc" --data fashion-mnist --out "$W/alone$seed.safetensors" --force --quiet
  "$D" distill "$W/teacher.safetensors" "$W/s$seed.dc" --data fashion-mnist --temperature "$T" --alpha "$A" --out "$W/d$seed.safetensors" --force --quiet
  a=$(acc "$W/alone$seed.safetensors"); d=$(acc "$W/d$seed.safetensors")
  echo "| $seed | $a | $d | $(/usr/bin/python3 -c "print('%+.4f' % ($d - $a))") |"
done
