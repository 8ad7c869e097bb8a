#!/bin/sh
# e2e.sh DEEPC WORKDIR SOURCE_DIR [full] — the deepc command end to end on
# Fashion-MNIST: a short real training run must reach a set accuracy; the
# model file must read in Python, eval/predict/summary must work, runs must
# be reproducible, Ctrl-C must save, and bad input must fail cleanly.
set -u
DEEPC=$1; W=$2; SRC=$3; FULL=${4:-}
PY=${PYTHON:-/usr/bin/python3}
DATA=${DEEPC_DATA_DIR:-/usr/share/datasets}/fashion-mnist
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"

# 1. a short real run: 10,000 training images, 1 epoch
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 10000 --epochs 1 \
    --out "$W/mlp.safetensors" --json > "$W/train.out" 2>&1 || bad "train exited $?: $(tail -3 "$W/train.out")"
acc=$(json_field "$W/train.out" "['test_accuracy']")
echo "short run test accuracy: $acc"
"$PY" -c "import sys; sys.exit(0 if float('$acc') >= 0.76 else 1)" && ok || bad "test accuracy $acc < 0.76"
grep -q "^Epoch 1/1 - " "$W/train.out" && ok || bad "no plain epoch line in piped output"
json_field "$W/train.out" "['history'][0]['val_accuracy']" | grep -q '^0\.' && ok || bad "history lacks val_accuracy"

# 1b. with "full" (optimized builds): the whole recipe of models/fashion_mlp.dc
# (10 epochs on all 60,000 images) must reach the 0.87 test accuracy floor.
# The figure moves with the seed and the thread count (0.873 to 0.885 over
# seeds 1-5 here): a floor, not a target.
if [ "$FULL" = full ]; then
  "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --out "$W/full.safetensors" --json \
      > "$W/full.out" 2>&1 || bad "full recipe exited $?"
  full=$(json_field "$W/full.out" "['test_accuracy']")
  echo "full recipe test accuracy: $full"
  "$PY" -c "import sys; sys.exit(0 if float('$full') >= 0.87 else 1)" && ok || bad "full recipe accuracy $full < 0.87"
fi

# 2. eval agrees with train's test metrics; predict; Python reads the file
"$DEEPC" eval "$W/mlp.safetensors" --data fashion-mnist --json > "$W/eval.out" 2>&1 || bad "eval failed"
[ "$(json_field "$W/eval.out" "['test_accuracy']")" = "$acc" ] && ok || bad "eval accuracy differs from train's"
"$DEEPC" predict "$W/mlp.safetensors" --data "$DATA" --limit 50 --probabilities > "$W/pred.out" 2>&1 || bad "predict failed"
[ "$(grep -c '^[0-9]*,\(T-shirt/top\|Trouser\|Pullover\|Dress\|Coat\|Sandal\|Shirt\|Sneaker\|Bag\|Ankle boot\),0\.[0-9]*,' "$W/pred.out")" = 50 ] && ok || bad "predict did not print 50 named classes: $(head -3 "$W/pred.out")"
(cd "$SRC/tests" && "$PY" read_model.py "$W/mlp.safetensors" "$DATA" "$W/pred.out") && ok || bad "Python could not read the model"
"$DEEPC" summary "$W/mlp.safetensors" --json > "$W/sum.out" 2>&1 && grep -q "Total params: 101770" "$W/sum.out" && ok || bad "summary of model"
"$DEEPC" summary "$SRC/models/fashion_mlp.dc" > "$W/sum2.out" 2>&1 && grep -q "dense_1 (Dense)" "$W/sum2.out" && ok || bad "summary of description"

# 3. same seed, same threads: bit-identical model files
for i in 1 2; do
  "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 3000 --epochs 2 --seed 5 --threads 2 \
      --quiet --out "$W/det$i.safetensors" > /dev/null 2>&1 || bad "determinism run $i failed"
done
cmp -s "$W/det1.safetensors" "$W/det2.safetensors" && ok || bad "two runs with the same seed differ"
# the same team of 2 run on 1 thread (as the governor does while another
# process keeps a core busy: src/kernels/threads.c) gives the same bits; a CNN
# and an LSTM too (products split by the team, parts handed out dynamically)
DEEPC_RUN_THREADS=1 "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 3000 --epochs 2 --seed 5 --threads 2 \
    --quiet --out "$W/det3.safetensors" > /dev/null 2>&1 || bad "determinism run on 1 thread failed"
cmp -s "$W/det1.safetensors" "$W/det3.safetensors" && ok || bad "a team of 2 on 1 thread differs from 2 threads"
for r in 1 2; do
  DEEPC_RUN_THREADS=$r "$DEEPC" train "$SRC/models/fashion_cnn.dc" --data fashion-mnist --limit 640 --epochs 1 --seed 5 --threads 2 \
      --quiet --out "$W/cnn$r.safetensors" > /dev/null 2>&1 || bad "CNN run on $r threads failed"
done
cmp -s "$W/cnn1.safetensors" "$W/cnn2.safetensors" && ok || bad "CNN: a team of 2 on 1 thread differs from 2 threads"

# 3b. a run stopped mid-epoch and resumed ends bit-identical to one that was
# never stopped (dropout, L2, AdamW, clipping, warmup + cosine, early stopping)
T="$SRC/models/fashion_mlp_tuned.dc"
"$DEEPC" train "$T" --data fashion-mnist --limit 4000 --epochs 4 --quiet --out "$W/straight.safetensors" \
    --log "$W/run.csv" --plot "$W/run.svg" --checkpoint "$W/ckpt.safetensors" --checkpoint-best "$W/best.safetensors" \
    > /dev/null 2>&1 || bad "tuned run failed"
"$DEEPC" train "$T" --data fashion-mnist --limit 4000 --epochs 4 --quiet --stop-after 100 --out "$W/part.safetensors" \
    > /dev/null 2>&1; rc=$?
[ $rc = 130 ] && ok || bad "--stop-after exited $rc, expected 130"
"$DEEPC" train --resume "$W/part.safetensors" --data fashion-mnist --quiet --out "$W/resumed.safetensors" \
    --log "$W/resumed.csv" > /dev/null 2>&1 || bad "resume failed"
cmp -s "$W/straight.safetensors" "$W/resumed.safetensors" && ok || bad "resumed run differs from the uninterrupted one"
# the resumed run's own log: its epochs, under a header
head -1 "$W/resumed.csv" | grep -q "^epoch,loss," && [ "$(sed -n 2p "$W/resumed.csv" | cut -d, -f1)" = 2 ] && ok \
  || bad "a resumed run's new log: $(head -3 "$W/resumed.csv")"
[ "$(wc -l < "$W/run.csv")" = 5 ] && head -1 "$W/run.csv" | grep -q "^epoch,loss,accuracy,val_loss,val_accuracy,lr" && ok || bad "CSV log"
grep -q "<polyline" "$W/run.svg" && grep -q "validation" "$W/run.svg" && ok || bad "SVG plot"
"$DEEPC" eval "$W/ckpt.safetensors" --data fashion-mnist --limit 100 > /dev/null 2>&1 && ok || bad "checkpoint not loadable"
"$DEEPC" eval "$W/best.safetensors" --data fashion-mnist --limit 100 > /dev/null 2>&1 && ok || bad "best checkpoint not loadable"
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests')
from st_read import read
t, meta = read('$W/straight.safetensors')
assert 'training_state' in meta and t['train.permutation'].dtype.name == 'int32', meta.keys()
assert t['dense.weight'].shape == (256, 784)
" && ok || bad "Python read of a model with training state"

# 4. Ctrl-C stops after the current batch and still saves
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --epochs 100 --out "$W/int.safetensors" > "$W/int.out" 2>&1 &
pid=$!
# wait until training has started (the summary is printed right before fit)
for i in $(seq 1 600); do grep -q "Total params" "$W/int.out" 2>/dev/null && break; sleep 0.1; done
sleep 2; kill -INT $pid; wait $pid; rc=$?
[ $rc = 130 ] && ok || bad "interrupted train exited $rc, expected 130"
"$DEEPC" eval "$W/int.safetensors" --data fashion-mnist --limit 100 > /dev/null 2>&1 && ok || bad "interrupted model not loadable"
# 4b. Ctrl-C on a loaded machine (one other process spinning): a handler that
# ran on a computing thread corrupted the heap in a quarter of such runs
sh -c 'while :; do :; done' & spin=$!
for k in 1 2 3 4; do
  "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --epochs 100 --threads 2 --out "$W/intl.safetensors" --force \
      > "$W/intl.out" 2>&1 &
  pid=$!
  for i in $(seq 1 600); do grep -q "Total params" "$W/intl.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1.5; kill -INT $pid; wait $pid; rc=$?
  [ $rc = 130 ] && ok || bad "interrupted loaded train $k exited $rc, expected 130: $(tail -1 "$W/intl.out")"
done
kill $spin; wait $spin 2>/dev/null

# 5. bad input: clear message, non-zero exit, no crash
printf 'input 28x28\nflatten\ndense 128 activation=rel\n' > "$W/bad.dc"
expect_fail "bad.dc:3:22: unknown activation" "$DEEPC" train "$W/bad.dc" --data fashion-mnist
expect_fail "no t10k-images" "$DEEPC" eval "$W/mlp.safetensors" --data "$W"
expect_fail "unknown option --epoch" "$DEEPC" train "$SRC/models/fashion_mlp.dc" --epoch 3
expect_fail "needs a whole number" "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --epochs ten
# stored weight types: an F16 kernel trains around (its bias trains), an I8 one is refused
printf 'input 28x28\nflatten\ndense 64 activation=relu weights=f16\ndense 10 activation=softmax\n' > "$W/f16.dc"
"$DEEPC" train "$W/f16.dc" --data fashion-mnist --limit 2000 --epochs 1 --quiet --out "$W/f16.safetensors" > "$W/f16.out" 2>&1 \
  && "$DEEPC" eval "$W/f16.safetensors" --data fashion-mnist --limit 200 > /dev/null 2>&1 && ok || bad "an F16-kernel model trains and evaluates"
"$DEEPC" summary "$W/f16.safetensors" 2>&1 | grep -q "Non-trainable params: 50176" && ok || bad "the F16 kernel counts as non-trainable"
sed 's/weights=f16/weights=i8/' "$W/f16.dc" > "$W/i8.dc"
expect_fail 'tensor "dense.weight" is quantized (weights=i8)' "$DEEPC" train "$W/i8.dc" --data fashion-mnist --limit 500 --epochs 1
head -c 300 "$W/mlp.safetensors" > "$W/cut.safetensors"
expect_fail "cut.safetensors" "$DEEPC" eval "$W/cut.safetensors" --data fashion-mnist
expect_fail "resuming a run over 10000 samples with data of 5" "$DEEPC" train --resume "$W/mlp.safetensors" --data fashion-mnist --limit 5 --epochs 2
"$DEEPC" train --resume "$W/det1.safetensors" --data fashion-mnist > "$W/fin.out" 2>&1 && grep -q "already finished" "$W/fin.out" && ok || bad "resume of a finished run"
cp "$W/det1.safetensors" "$W/more.safetensors"
"$DEEPC" train --resume "$W/more.safetensors" --data fashion-mnist --epochs 3 --quiet --json > "$W/more.out" 2>&1 && \
  [ "$(json_field "$W/more.out" "['epochs']")" = 3 ] && ok || bad "resume with more epochs"
expect_fail "unknown command" "$DEEPC" fly
"$DEEPC" --help | grep -q "deepc COMMAND" && ok || bad "--help"

finish e2e
