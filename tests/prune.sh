#!/bin/sh
# prune.sh DEEPC WORKDIR SOURCE_DIR [full|short] — deepc prune (issue 17):
#  - a Fashion MLP pruned to 90%: exactly 90% of its matrices' values are 0,
#    the file (sparse) is at most 0.2x the float weights alone, it
#    evaluates, predicts and summarises as any model;
#  - stopped and resumed (--resume): the same file as one run;
#  - --scope layer, and --structured on the MLP and the CNN: a smaller
#    dense model that gives the pruned model's predictions;
#  - errors: no --sparsity, a bad --scope, a damaged mask.
# Accuracy at 50/80/90% on the full data is bench/prune.sh's.
set -u
DEEPC=$1; W=$2; SRC=$3; MODE=${4:-full}
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
if [ "$MODE" = full ]; then L=6000; FLOOR=0.7; STOP=40; else L=600; FLOOR=0.3; STOP=5; fi

"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit $L --epochs 2 --quiet --out "$W/mlp.safetensors" > "$W/t.out" 2>&1 \
  || bad "train the MLP: $(tail -2 "$W/t.out")"
"$DEEPC" export "$W/mlp.safetensors" --format safetensors --weights-only --out "$W/float.safetensors" --quiet || bad "export"
"$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.9 --data fashion-mnist --limit $L --epochs 2 --out "$W/p90.safetensors" > "$W/p.out" 2>&1 \
  && grep -q "Pruned: 91469 of 101632 weight-matrix values are 0 (90.0%)" "$W/p.out" && ok || bad "prune to 90%: $(tail -3 "$W/p.out")"
f=$(stat -c %s "$W/float.safetensors"); p=$(stat -c %s "$W/p90.safetensors")
at_least "$("$PY" -c "print($f * 0.2 - $p)")" 0 && ok || bad "the 90% file is $p bytes, more than 0.2x the float weights' $f"
"$DEEPC" eval "$W/p90.safetensors" --data fashion-mnist --limit 1000 --json > "$W/e.out" 2>&1 && at_least "$(json_field "$W/e.out" '["test_accuracy"]')" $FLOOR \
  && ok || bad "the pruned model evaluates: $(tail -2 "$W/e.out")"
"$DEEPC" summary "$W/p90.safetensors" > "$W/s.out" 2>&1 && grep -q "Pruned: 90.0%" "$W/s.out" && ok || bad "summary: $(tail -3 "$W/s.out")"
"$PY" - "$W/p90.safetensors" <<'PYEOF' && ok || bad "the file's sparse layout (numpy reads it)"
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n]); body = raw[8 + n:]
def arr(name, dt):
    a, b = h[name]["data_offsets"]
    return np.frombuffer(body[a:b], dtype=dt)
kept = 0
for name, n in (("dense.weight", 128 * 784), ("dense_1.weight", 10 * 128)):
    bits = np.unpackbits(arr(name + ".sparse_bitmap", np.uint8), bitorder="little")
    vals = arr(name + ".sparse_values", np.float32)
    assert name not in h and len(bits) == (n + 7) // 8 * 8 and bits[n:].sum() == 0 and bits.sum() == len(vals), name
    assert (vals != 0).all()
    kept += len(vals)
assert kept == 101632 - 91469 and "pruning" in h["__metadata__"], kept  # one threshold over both: exactly 90% of all
PYEOF

# stopped and resumed: the same file as one run
"$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.8 --data fashion-mnist --limit $L --epochs 2 --frequency 7 --out "$W/one.safetensors" --quiet > /dev/null 2>&1
"$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.8 --data fashion-mnist --limit $L --epochs 2 --frequency 7 --out "$W/r.safetensors" --quiet --stop-after $STOP > /dev/null 2>&1
[ $? = 130 ] && ok || bad "--stop-after: exit 130"
"$DEEPC" prune --resume "$W/r.safetensors" --data fashion-mnist --limit $L --quiet > "$W/r.out" 2>&1 || bad "resume: $(tail -2 "$W/r.out")"
cmp -s "$W/one.safetensors" "$W/r.safetensors" && ok || bad "a stopped and resumed prune differs from one run"
expect_fail "holds no training state to resume" "$DEEPC" prune --resume "$W/r.safetensors" --data fashion-mnist --limit $L

# global scope, structured
"$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.8 --scope layer --data fashion-mnist --limit $L --epochs 1 --out "$W/g.safetensors" > "$W/g.out" 2>&1 \
  && grep -q "(80.0%)" "$W/g.out" && ok || bad "--scope layer: $(tail -2 "$W/g.out")"
"$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.5 --structured --data fashion-mnist --limit $L --epochs 2 --out "$W/st.safetensors" > "$W/st.out" 2>&1 \
  && grep -q "dense  *dense  *128 -> 64 units" "$W/st.out" && ok || bad "--structured: $(tail -4 "$W/st.out")"
"$DEEPC" summary "$W/st.safetensors" | grep -q "Total params: 50890" && ok || bad "the structured model is smaller"
"$DEEPC" train "$SRC/models/fashion_cnn.dc" --data fashion-mnist --limit 1000 --epochs 1 --quiet --out "$W/cnn.safetensors" > /dev/null 2>&1 || bad "train the CNN"
"$DEEPC" prune "$W/cnn.safetensors" --sparsity 0.5 --structured --scope layer --data fashion-mnist --limit 1000 --epochs 1 --out "$W/cs.safetensors" --json > "$W/cs.out" 2>&1 \
  && grep -q "conv2d_1  *conv2d  *64 -> 32 filters" "$W/cs.out" && ok || bad "--structured CNN: $(tail -4 "$W/cs.out")"
# the smaller CNN's test accuracy is the pruned one's (the run's own test metrics)
"$DEEPC" eval "$W/cs.safetensors" --data fashion-mnist --json > "$W/ce.out" 2>&1 \
  && [ "$(json_field "$W/ce.out" '["test_accuracy"]')" = "$(json_field "$W/cs.out" '["test_accuracy"]')" ] && ok || bad "the smaller CNN's accuracy differs from the pruned one's"

# errors
expect_fail "prune needs --sparsity" "$DEEPC" prune "$W/mlp.safetensors" --data fashion-mnist
expect_fail "scope is global" "$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.5 --scope all --data fashion-mnist
expect_fail "cannot load the model to prune" "$DEEPC" prune "$W/nope.safetensors" --sparsity 0.5 --data fashion-mnist
finish prune
