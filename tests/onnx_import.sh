#!/bin/sh
# onnx_import.sh RUNNER DEEPC WORKDIR SOURCE_DIR — ONNX import (issue 18):
# PyTorch models (tests/onnx_import.py: an MLP, CNNs with BatchNorm, pools
# and a global pool, LSTM and GRU text classifiers, an LSTM over every step,
# a small pre-norm Transformer) exported with torch.onnx.export, imported
# with deepc import-onnx, and run by deepc (RUNNER: tests/onnx_import_run.c)
# on the inputs PyTorch saw: the same outputs within 1e-4. Then deepc's own
# exports come back (export -> import -> the same outputs), an imported
# model fine-tunes, evaluates and exports again from the CLI, and damaged
# files (truncated, junk, an unknown op, a cycle, a short initializer,
# absurd dims, a huge repeated field, external data) are refused.
set -u
RUN=$1; DEEPC=$2; W=$3; SRC=$4
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
"$PY" "$SRC/tests/onnx_import.py" "$W" > "$W/torch.log" 2>&1 || { bad "torch.onnx.export: $(tail -3 "$W/torch.log")"; finish onnx_import; exit 1; }
# same A B: raw floats within 1e-4 (+ 1e-4 relative)
same() {
  "$PY" -c "
import sys, numpy as np
a, b = np.fromfile(sys.argv[1], np.float32), np.fromfile(sys.argv[2], np.float32)
d = np.abs(a - b).max() if a.size == b.size else float('inf')
print('max diff %.3g' % d)
sys.exit(0 if a.size == b.size and d <= 1e-4 * (1 + np.abs(b).max()) else 1)" "$1" "$2"
}
while read -r name dtype n; do
  "$DEEPC" import-onnx "$W/$name.onnx" --out "$W/$name.safetensors" > "$W/$name.import" 2>&1 || { bad "import $name: $(tail -3 "$W/$name.import")"; continue; }
  "$RUN" "$W/$name.safetensors" "$W/$name.in" "$W/$name.deepc" "$n" > "$W/$name.run" 2>&1 || { bad "run $name: $(cat "$W/$name.run")"; continue; }
  r=$(same "$W/$name.deepc" "$W/$name.torch") && ok || bad "$name: deepc against PyTorch: $r"
  echo "$name: imported, deepc against PyTorch $r"
done < "$W/torch_cases.txt"
# the description is readable: one line per layer, names as deepc gives them
grep -q "^conv2d 4 kernel=3 name=conv2d$" "$W/cnn_bn.import" && grep -q "^batchnorm name=batchnorm$" "$W/cnn_bn.import" && grep -q "^lstm 16 name=lstm$" "$W/lstm_text.import" \
  && grep -q "^transformer_encoder 2 ff=32 pre_norm=true name=transformer_encoder$" "$W/transformer.import" \
  && ok || bad "the imported descriptions: $(cat "$W/cnn_bn.import" "$W/lstm_text.import")"

# deepc -> ONNX -> deepc: the same outputs (a trained Fashion MLP and a CNN with BatchNorm)
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 1000 --epochs 1 --quiet --out "$W/mlp.safetensors" > /dev/null 2>&1 || bad "train"
"$DEEPC" export "$W/mlp.safetensors" --format onnx --out "$W/mlp_rt.onnx" > /dev/null 2>&1 || bad "export"
"$DEEPC" import-onnx "$W/mlp_rt.onnx" --out "$W/mlp_rt.safetensors" > "$W/mlp_rt.import" 2>&1 || bad "import the export: $(tail -2 "$W/mlp_rt.import")"
"$DEEPC" predict "$W/mlp.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/a.csv" 2>&1 || bad "predict"
"$DEEPC" predict "$W/mlp_rt.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/b.csv" 2>&1 || bad "predict the round trip"
"$PY" -c "
import csv, sys
a = [[float(v) for v in r[3:]] for r in list(csv.reader(open(sys.argv[1])))[1:]]
b = [[float(v) for v in r[3:]] for r in list(csv.reader(open(sys.argv[2])))[1:]]
sys.exit(0 if len(a) == 50 and len(b) == 50 and max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p, q)) < 1e-5 else 1)" "$W/a.csv" "$W/b.csv" \
  && ok || bad "export -> import: other predictions"

# fine-tuning an imported model: its description plus a recipe, the weights by --init-from
"$DEEPC" import-onnx "$W/mlp.onnx" --out "$W/ft_src.safetensors" --json > "$W/ft.json" 2>&1 || bad "import --json"
"$PY" -c "
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])['description']
open(sys.argv[2], 'w').write(d + 'loss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=1 batch_size=64 seed=1\n')" "$W/ft.json" "$W/ft.dc" \
  && "$DEEPC" train "$W/ft.dc" --data fashion-mnist --limit 500 --init-from "$W/ft_src.safetensors" --quiet --json --out "$W/ft.safetensors" > "$W/ft.out" 2>&1 \
  && last_json "$W/ft.out" train && ok || bad "fine-tune an imported model: $(tail -3 "$W/ft.out")"

# an imported PyTorch model evaluates and exports again
"$DEEPC" eval "$W/mlp.safetensors" --data fashion-mnist --limit 200 --json > "$W/eval.out" 2>&1 && last_json "$W/eval.out" eval && ok \
  || bad "eval an imported model: $(tail -2 "$W/eval.out")"
"$DEEPC" export "$W/lstm_text.safetensors" --format onnx --out "$W/again.onnx" > "$W/again.out" 2>&1 \
  && "$PY" -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)" "$W/again.onnx" && ok \
  || bad "export an imported model again: $(tail -2 "$W/again.out")"

# damaged files: each refused with a clear error, no crash
head -c 300 "$W/mlp.onnx" > "$W/trunc.onnx"
expect_fail "not an ONNX model" "$DEEPC" import-onnx "$W/trunc.onnx" --out "$W/x.safetensors"
printf 'not protobuf at all' > "$W/junk.onnx"
expect_fail "trunc\|not an ONNX model" "$DEEPC" import-onnx "$W/junk.onnx" --out "$W/x.safetensors"
"$PY" - "$W" <<'PYEOF' || bad "crafting damaged ONNX files"
import sys, onnx
from onnx import helper, TensorProto
W = sys.argv[1]
m = onnx.load(f"{W}/mlp.onnx")
def save(model, name):
    open(f"{W}/{name}.onnx", "wb").write(model.SerializeToString())
# an unknown op
g = m.graph; n = helper.make_node("Frobnicate", [g.node[0].output[0]], ["z"], name="frob"); bad = onnx.ModelProto(); bad.CopyFrom(m)
bad.graph.node.insert(1, n); save(bad, "unknown_op")
# a cycle: the first node reads the last one's output
bad = onnx.ModelProto(); bad.CopyFrom(m); bad.graph.node[0].input[0] = bad.graph.node[-1].output[0]; save(bad, "cycle")
# an initializer of the wrong size
bad = onnx.ModelProto(); bad.CopyFrom(m); t = bad.graph.initializer[0]; t.raw_data = t.raw_data[:-8]; save(bad, "short_init")
# absurd dims
bad = onnx.ModelProto(); bad.CopyFrom(m); t = bad.graph.initializer[0]; del t.dims[:]; t.dims.extend([1 << 40, 1 << 40]); save(bad, "absurd")
# external data
# a huge repeated field: 200,000 dims of 1 on a weight (its values still 1 x 1 x ... = its count: read, then refused as a weight)
bad = onnx.ModelProto(); bad.CopyFrom(m); t = bad.graph.initializer[0]; n = 1
for d in t.dims: n *= d
del t.dims[:]; t.dims.extend([n] + [1] * 200000); save(bad, "huge_dims")
bad = onnx.ModelProto(); bad.CopyFrom(m); t = bad.graph.initializer[0]; t.data_location = TensorProto.EXTERNAL
e = t.external_data.add(); e.key = "location"; e.value = "weights.bin"; t.ClearField("raw_data"); save(bad, "external")
PYEOF
expect_fail 'node "frob" (Frobnicate): an op deepc does not import' "$DEEPC" import-onnx "$W/unknown_op.onnx" --out "$W/x.safetensors"
expect_fail "no earlier node makes (a cycle" "$DEEPC" import-onnx "$W/cycle.onnx" --out "$W/x.safetensors"
expect_fail "where its dimensions say" "$DEEPC" import-onnx "$W/short_init.onnx" --out "$W/x.safetensors"
expect_fail "absurd dimensions" "$DEEPC" import-onnx "$W/absurd.onnx" --out "$W/x.safetensors"
expect_fail "external file" "$DEEPC" import-onnx "$W/external.onnx" --out "$W/x.safetensors"
expect_fail "needs a constant 2-D weight" "$DEEPC" import-onnx "$W/huge_dims.onnx" --out "$W/x.safetensors"
[ ! -e "$W/x.safetensors" ] && ok || bad "a refused import wrote its output"
finish onnx_import
