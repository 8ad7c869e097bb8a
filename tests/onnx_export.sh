#!/bin/sh
# onnx_export.sh TEST_ONNX DEEPC WORKDIR SOURCE_DIR — ONNX export (issue 18):
# the models of tests/test_onnx.c exported, each through the ONNX checker
# (python3-onnx, full_check) and onnxruntime (npm onnxruntime-node, run with
# node: scripts/onnxruntime.sh) against deepc's outputs at batch 1 and 7;
# then the CLI: deepc export --format onnx on a trained Fashion MLP, run in
# onnxruntime on test images, and its refusals.
set -u
TEST=$1; DEEPC=$2; W=$3; SRC=$4
PY=${PYTHON:-/usr/bin/python3}
. "$SRC/tests/lib.sh"
ORT="$SRC/data/onnxruntime"
sh "$SRC/scripts/onnxruntime.sh" "$ORT" > /dev/null || { echo "FAIL onnxruntime-node could not be installed (scripts/onnxruntime.sh)"; exit 1; }
"$TEST" "$W" || bad "test_onnx (the deepc half)"
"$PY" "$SRC/tests/onnx_check.py" "$W" && ok || bad "the ONNX checker"
node "$SRC/tests/onnx_run.js" "$ORT" "$W" && ok || bad "onnxruntime against deepc"

# the CLI on a trained model: the file, its JSON line, onnxruntime on real images
C="$W/cli"; mkdir -p "$C"
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 1000 --epochs 1 --quiet --out "$C/mlp.safetensors" > "$C/train.out" 2>&1 \
  || bad "train: $(tail -3 "$C/train.out")"
"$DEEPC" export "$C/mlp.safetensors" --format onnx --out "$C/mlp.onnx" --json > "$C/export.json" 2>&1 \
  && grep -q '"format":"onnx","opset":17' "$C/export.json" && ok || bad "export --format onnx: $(cat "$C/export.json")"
"$DEEPC" predict "$C/mlp.safetensors" --data fashion-mnist --limit 7 --layer dense_1 > "$C/deepc.csv" 2>&1 || bad "predict --layer"
"$PY" - "$C" > "$C/cases.txt" <<'PYEOF' || bad "the CLI case's inputs"
import csv, gzip, struct, sys
d = sys.argv[1]
# the first 7 Fashion-MNIST test images, as deepc reads them (pixels / 255)
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
    f.read(16)
    px = f.read(7 * 784)
open(f"{d}/mlp.b7.in", "wb").write(struct.pack("<%df" % len(px), *[p / 255.0 for p in px]))
rows = list(csv.reader(open(f"{d}/deepc.csv")))
vals = [float(v) for r in rows[1:] for v in r[1:]]
open(f"{d}/mlp.b7.out", "wb").write(struct.pack("<%df" % len(vals), *vals))
print("mlp b7 float32 0.0001 7 28 28 | 7 %d" % (len(vals) // 7))
PYEOF
node "$SRC/tests/onnx_run.js" "$ORT" "$C" && ok || bad "onnxruntime on the CLI's export (Fashion MLP, 7 test images)"
expect_fail "opset 17" "$DEEPC" export "$C/mlp.safetensors" --format onnx --out "$C/x.onnx" --opset 9
[ ! -e "$C/x.onnx" ] && ok || bad "a refused export left $C/x.onnx"
expect_fail "deepc exports onnx, c, or safetensors" "$DEEPC" export "$C/mlp.safetensors" --format tflite --out "$C/x.tflite"
finish onnx_export
