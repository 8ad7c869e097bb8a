#!/bin/sh
# quantize.sh DEEPC WORKDIR SOURCE_DIR [full|short] — deepc quantize on
# trained models of each kind the issue names (issue 17):
#  - the Fashion MLP and CNN, and the spam LSTM: int8 test accuracy within
#    0.5 points of the float model's (full mode: trained on slices large
#    enough to mean something; short mode, under the sanitizers, only runs
#    the same commands on tiny slices);
#  - a char GPT (width 64, so 4-bit applies): int8 loss within 1% of the
#    float model's, 4-bit within 3%; generate runs on both;
#  - files about 4x (int8) and 5x or more (4-bit) smaller in weights;
#    summary names each layer's storage; predict, eval, generate take the
#    files; train --init-from starts a float model from an int8 one;
#  - damaged files: NaN, zero and negative scales, scales of the wrong
#    shape, an int8 tensor where the description wants float, a 4-bit
#    tensor of the wrong length, weights=q4 on 20 columns: each refused
#    naming the tensor or the line.
set -u
DEEPC=$1; W=$2; SRC=$3; MODE=${4:-full}
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
if [ "$MODE" = full ]; then FL=20000; FE=2; SE=2; GS=200; EL=3000; EV=""; else FL=300; FE=1; SE=1; GS=4; EL=200; EV="--limit 500"; fi

acc() { json_field "$1" '["test_accuracy"]'; }
loss() { json_field "$1" '["test_loss"]'; }
# within A B POINTS: |A - B| * 100 <= POINTS
within() { "$PY" -c "import sys; sys.exit(0 if abs(float('$1') - float('$2')) * 100 <= $3 else 1)"; }
# ratio_at_most A B R: A / B <= R
ratio_at_most() { "$PY" -c "import sys; sys.exit(0 if float('$1') / float('$2') <= $3 else 1)"; }

# quantize_and_eval NAME MODEL.dc DATA_ARGS...: train, quantize to int8 (and 4-bit), evaluate all three
train_q() {
  name=$1; shift
  "$DEEPC" train "$@" --quiet --out "$W/$name.safetensors" > "$W/$name.train" 2>&1 || bad "train $name: $(tail -3 "$W/$name.train")"
  "$DEEPC" quantize "$W/$name.safetensors" --out "$W/$name.i8.safetensors" > "$W/$name.q8" 2>&1 || bad "quantize $name: $(tail -3 "$W/$name.q8")"
  "$DEEPC" quantize "$W/$name.safetensors" --bits 4 --out "$W/$name.q4.safetensors" > "$W/$name.q4" 2>&1 || bad "quantize --bits 4 $name: $(tail -3 "$W/$name.q4")"
}

# ---- Fashion MLP and CNN -----------------------------------------------------------
train_q mlp "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit $FL --epochs $FE
train_q cnn "$SRC/models/fashion_cnn.dc" --data fashion-mnist --limit $FL --epochs $FE
for n in mlp cnn; do
  for v in "" .i8 .q4; do
    "$DEEPC" eval "$W/$n$v.safetensors" --data fashion-mnist $EV --json > "$W/$n$v.eval" 2>&1 || bad "eval $n$v: $(tail -2 "$W/$n$v.eval")"
  done
  f=$(acc "$W/$n.eval"); q=$(acc "$W/$n.i8.eval"); q4=$(acc "$W/$n.q4.eval")
  echo "$n: float $f, int8 $q, 4-bit $q4 (test accuracy)"
  if [ "$MODE" = full ]; then
    within "$f" "$q" 0.5 && ok || bad "$n int8 accuracy $q is more than 0.5 points from float's $f"
    within "$f" "$q4" 1.5 && ok || bad "$n 4-bit accuracy $q4 is more than 1.5 points from float's $f"
  fi
done
# static activations: input scales calibrated on training images, stored; accuracy as dynamic int8's
"$DEEPC" quantize "$W/mlp.safetensors" --out "$W/mlp.st.safetensors" --calibration fashion-mnist --static --limit 500 > "$W/mlp.st" 2>&1 \
  && grep -q "calibrating the input scales on 500 samples" "$W/mlp.st" && ok || bad "quantize --static: $(tail -3 "$W/mlp.st")"
"$DEEPC" eval "$W/mlp.st.safetensors" --data fashion-mnist $EV --json > "$W/mlp.st.eval" 2>&1 || bad "eval static: $(tail -2 "$W/mlp.st.eval")"
st=$(acc "$W/mlp.st.eval"); echo "mlp: static int8 $st"
[ "$MODE" = full ] && { within "$(acc "$W/mlp.eval")" "$st" 0.5 && ok || bad "static int8 accuracy $st is more than 0.5 points from float's"; }
"$DEEPC" summary "$W/mlp.st.safetensors" | grep -q "activations=static\|int8" && ok || bad "summary of the static model"
expect_fail "static takes --calibration DATA" "$DEEPC" quantize "$W/mlp.safetensors" --out "$W/x.safetensors" --static
expect_fail "static takes --calibration DATA" "$DEEPC" quantize "$W/mlp.safetensors" --out "$W/x.safetensors" --static --calibration fashion-mnist --bits 4
grep -q "int8 per output row" "$W/cnn.q8" && grep -q "weights: .*(4.0x smaller)" "$W/cnn.q8" && ok || bad "the CNN's report: $(cat "$W/cnn.q8")"
grep -q "not 4-bit" "$W/mlp.q4" && ok || bad "the MLP's 784-wide layer stays int8 under --bits 4, and the report says so: $(cat "$W/mlp.q4")"
"$DEEPC" summary "$W/cnn.i8.safetensors" > "$W/sum.out" 2>&1 && grep -q "Stored as" "$W/sum.out" && grep -q "int8, " "$W/sum.out" \
  && grep -q "max_pooling2d\|MaxPool" "$W/sum.out" && ok || bad "summary of an int8 model: $(cat "$W/sum.out")"
# predict agrees with the float model on most images
"$DEEPC" predict "$W/mlp.safetensors" --data fashion-mnist --limit $EL > "$W/p_f.csv" 2>&1 &&
  "$DEEPC" predict "$W/mlp.i8.safetensors" --data fashion-mnist --limit $EL > "$W/p_q.csv" 2>&1 &&
  "$PY" - "$W/p_f.csv" "$W/p_q.csv" <<'PYEOF' && ok || bad "predict on the int8 MLP: $(tail -2 "$W/p_q.csv")"
import csv, sys
a = [r[1] for r in csv.reader(open(sys.argv[1]))][1:]
b = [r[1] for r in csv.reader(open(sys.argv[2]))][1:]
same = sum(x == y for x, y in zip(a, b))
print("predict: the int8 MLP's class equals float's for %d of %d images" % (same, len(a)))
sys.exit(0 if len(a) == len(b) and len(a) > 100 and same >= 0.98 * len(a) else 1)
PYEOF
# --init-from: a float model from the int8 file
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 500 --epochs 1 --init-from "$W/mlp.i8.safetensors" \
  --out "$W/ft.safetensors" > "$W/ft.out" 2>&1 && grep -q "dequantized from i8" "$W/ft.out" && ok || bad "--init-from an int8 model: $(tail -3 "$W/ft.out")"

# ---- spam LSTM ------------------------------------------------------------------------
sh "$SRC/scripts/spam_csv.sh" "$W/spam.csv" > /dev/null || bad "spam_csv.sh"
SP="$W/spam.csv"
if [ "$MODE" = full ]; then SL=""; else SL="--limit 200"; fi
train_q lstm "$SRC/models/spam_lstm.dc" --data "$SP" --test-split 0.2 --stratify --epochs $SE $SL
for v in "" .i8; do
  "$DEEPC" eval "$W/lstm$v.safetensors" --data "$SP" ${SL:+--limit 100} --json > "$W/lstm$v.eval" 2>&1 || bad "eval lstm$v: $(tail -2 "$W/lstm$v.eval")"
done
f=$(acc "$W/lstm.eval"); q=$(acc "$W/lstm.i8.eval")
echo "spam LSTM: float $f, int8 $q (held-out accuracy)"
[ "$MODE" = full ] && { within "$f" "$q" 0.5 && ok || bad "LSTM int8 accuracy $q is more than 0.5 points from float's $f"; }
"$DEEPC" predict "$W/lstm.i8.safetensors" --text "Congratulations, you have won a free prize" > "$W/lp.out" 2>&1 \
  && grep -q "spam\|ham" "$W/lp.out" && ok || bad "predict --text on the int8 LSTM: $(cat "$W/lp.out")"
grep -q "lstm .*int8 per output row" "$W/lstm.q8" && grep -q "embedding .*int8 per output row" "$W/lstm.q8" && ok || bad "LSTM report: $(cat "$W/lstm.q8")"

# ---- char GPT: loss within 1% (int8) and 3% (4-bit) --------------------------------------
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
sed -e 's/^input 128/input 64/; s/embedding 128 128/embedding 128 64/; s/repeat 4/repeat 2/; s/maxlen=128/maxlen=64/' \
    -e "s/steps_per_epoch=500/steps_per_epoch=$GS/; s/epochs=4/epochs=1/" "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
train_q gpt "$W/gpt.dc" --data "$W/fortunes.txt" --validation-steps 10
for v in "" .i8 .q4; do
  "$DEEPC" eval "$W/gpt$v.safetensors" --data "$W/fortunes.txt" --limit $EL --json > "$W/gpt$v.eval" 2>&1 || bad "eval gpt$v: $(tail -2 "$W/gpt$v.eval")"
  "$DEEPC" generate "$W/gpt$v.safetensors" --prompt "The " --max-tokens 20 --seed 1 > "$W/gpt$v.gen" 2>&1 && [ -s "$W/gpt$v.gen" ] && ok || bad "generate on gpt$v: $(tail -2 "$W/gpt$v.gen")"
done
f=$(loss "$W/gpt.eval"); q=$(loss "$W/gpt.i8.eval"); q4=$(loss "$W/gpt.q4.eval")
echo "char GPT: loss float $f, int8 $q, 4-bit $q4"
if [ "$MODE" = full ]; then
  ratio_at_most "$q" "$f" 1.01 && ok || bad "char GPT int8 loss $q is more than 1% over float's $f"
  ratio_at_most "$q4" "$f" 1.03 && ok || bad "char GPT 4-bit loss $q4 is more than 3% over float's $f"
fi
grep -q "transformer_block .*4-bit q4_0" "$W/gpt.q4" && grep -q "wte .*4-bit q4_0" "$W/gpt.q4" && grep -q "wpe .*stays float" "$W/gpt.q4" \
  && ok || bad "the 4-bit GPT's report: $(cat "$W/gpt.q4")"
"$PY" - "$W/gpt.q8" "$W/gpt.q4" <<'PYEOF' && ok || bad "weights not 3x (int8) and 5x (4-bit) smaller: $(cat "$W/gpt.q8" "$W/gpt.q4")"
import re, sys
r = [float(re.search(r"\(([0-9.]+)x smaller\)", open(p).read()).group(1)) for p in sys.argv[1:]]
print("char GPT weights: %.1fx smaller in int8, %.1fx in 4-bit (positions and norms stay float)" % tuple(r))
sys.exit(0 if r[0] >= 3.0 and r[1] >= 5.0 else 1)
PYEOF

# ---- damaged files: each refused naming the tensor ------------------------------------------
edit() { # edit IN OUT PYTHON: run PYTHON on (meta, tensors) of IN, write OUT
  "$PY" - "$SRC/tests" "$1" "$2" "$3" <<'PYEOF'
import struct, sys
sys.path.insert(0, sys.argv[1])
import st_edit
meta, t = st_edit.read(sys.argv[2])
exec(sys.argv[4])
st_edit.write(sys.argv[3], meta, t)
PYEOF
}
M8=$W/mlp.i8.safetensors; M4=$W/gpt.q4.safetensors
edit "$M8" "$W/nan.safetensors" 'd, s, b = t["dense.weight_scale"]; t["dense.weight_scale"] = (d, s, struct.pack("<f", float("nan")) + b[4:])'
expect_fail 'tensor "dense.weight_scale": scale 0 is nan' "$DEEPC" eval "$W/nan.safetensors" --data fashion-mnist
edit "$M8" "$W/zero.safetensors" 'd, s, b = t["dense.weight_scale"]; t["dense.weight_scale"] = (d, s, b[:8] + struct.pack("<f", 0.0) + b[12:])'
expect_fail 'tensor "dense.weight_scale": scale 2 is 0' "$DEEPC" predict "$W/zero.safetensors" --data fashion-mnist --limit 2
edit "$M8" "$W/neg.safetensors" 'd, s, b = t["dense_1.weight_scale"]; t["dense_1.weight_scale"] = (d, s, struct.pack("<f", -0.5) + b[4:])'
expect_fail 'tensor "dense_1.weight_scale": scale 0 is -0.5' "$DEEPC" summary "$W/neg.safetensors"
edit "$M4" "$W/neg4.safetensors" 'k = "transformer_block.mlp.c_fc.weight_scale"; d, s, b = t[k]; t[k] = (d, s, b[:2] + struct.pack("<e", -1.0) + b[4:])'
expect_fail 'tensor "transformer_block.mlp.c_fc.weight_scale": scale 1 is -1' "$DEEPC" generate "$W/neg4.safetensors" --prompt "a" --max-tokens 2
edit "$M8" "$W/shape.safetensors" 'd, s, b = t["dense.weight_scale"]; t["dense.weight_scale"] = (d, [s[0] - 1], b[4:])'
expect_fail 'tensor "dense.weight_scale" is F32 with 1 dimensions; the description needs F32 (128)' "$DEEPC" eval "$W/shape.safetensors" --data fashion-mnist
edit "$M8" "$W/wrongtype.safetensors" 'meta["description"] = meta["description"].replace(" weights=i8", "")'
expect_fail 'tensor "dense.weight" is I8 with 2 dimensions; the description needs F32' "$DEEPC" eval "$W/wrongtype.safetensors" --data fashion-mnist
edit "$M4" "$W/odd4.safetensors" 'k = "transformer_block.attn.c_proj.weight"; d, s, b = t[k]; t[k] = (d, [s[0], s[1] - 1], b[:s[0] * (s[1] - 1)])'
expect_fail 'tensor "transformer_block.attn.c_proj.weight" is U8 with 2 dimensions; the description needs U8 (64, 32)' "$DEEPC" generate "$W/odd4.safetensors" --prompt "a" --max-tokens 2
printf 'input 20\ndense 10 weights=q4\n' > "$W/q4bad.dc"
expect_fail 'q4bad.dc:2:1: dense: weights=q4 stores 2-D weight matrices of a multiple of 32 columns; weight is 20 wide' "$DEEPC" summary "$W/q4bad.dc"
expect_fail 'needs a whole number in \[4, 8\], got "9"' "$DEEPC" quantize "$M8" --bits 9 --out "$W/x.safetensors"
expect_fail '--bits 6: 8 (int8 per output row) or 4' "$DEEPC" quantize "$M8" --bits 6 --out "$W/x.safetensors"
[ ! -e "$W/x.safetensors" ] && ok || bad "a refused quantize wrote a file"
finish quantize
