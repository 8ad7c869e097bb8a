#!/bin/sh
# gpt2_import.sh DEEPC WORKDIR SOURCE_DIR TEST_GPT_PARITY — GPT-2 checkpoints in Hugging
# Face's layout (tests/gpt2_files.py writes small ones from the PyTorch
# reference: F32 with the transformer. prefix, buffers and lm_head; F16 and
# BF16 without) become deepc models that give the reference's logits and,
# through GPT-2's BPE, its greedy continuation, word for word; broken
# checkpoints are errors naming the tensor (integer tensors and stray blocks
# too: red team 3 F15); an imported model is evaluated and fine-tuned with
# the BPE in its file (F20).
set -u
DEEPC=$1; W=$2; SRC=$3; PARITY=$4
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
G=$SRC/data/gpt2
sh "$SRC/scripts/gpt2_bpe.sh" "$G" > /dev/null || bad "gpt2_bpe.sh (needs npm and its registry)"
"$PY" "$SRC/tests/gpt2_files.py" "$W" "$G" || bad "gpt2_files.py"
for v in f32 f16 bf16; do
  "$DEEPC" import-gpt2 "$W/hf_$v.safetensors" --description "$W/gpt2_small.dc" --out "$W/$v.safetensors" > "$W/$v.out" 2>&1 \
    || bad "import $v: $(cat "$W/$v.out")"
  (cd "$SRC/tests" && "$PY" gpt2_check.py "$W/$v.safetensors" "$W/ref_$v.json") > "$W/$v.check" 2>&1 && ok || bad "$v: $(cat "$W/$v.check")"
  # greedy generation through the BPE: the reference's continuation, decoded by deepc's tokenizer
  ids=$("$PY" -c "import json; print(' '.join(map(str, json.load(open('$W/ref_$v.json'))['greedy'])))")
  echo "$ids" > "$W/$v.ids"
  want=$("$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" --decode "$W/$v.ids")
  got=$("$DEEPC" generate "$W/$v.safetensors" --prompt "Hello, I'm a" --max-tokens 12 --temperature 0 2>/dev/null)
  [ "$got" = "$want" ] && ok || bad "$v greedy: deepc '$got', reference '$want'"
done
# an imported GPT-2 is evaluated (loss, perplexity) and fine-tuned from the
# command line with the BPE in its file (red team 3 F20: "no fitted vocabulary")
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null && head -c 6000 "$W/fortunes.txt" > "$W/ft.txt"
"$DEEPC" eval "$W/f32.safetensors" --data "$W/ft.txt" > "$W/ev0.out" 2>&1 && grep -q "perplexity" "$W/ev0.out" && ok || bad "F20: eval an imported GPT-2: $(cat "$W/ev0.out")"
"$DEEPC" train "$W/gpt2_small.dc" --data "$W/ft.txt" --init-from "$W/f32.safetensors" --epochs 1 --steps-per-epoch 5 --quiet \
  --out "$W/ft.safetensors" > "$W/ft.out" 2>&1 && ok || bad "F20: fine-tune an imported GPT-2 (--init-from): $(cat "$W/ft.out")"
"$DEEPC" eval "$W/ft.safetensors" --data "$W/ft.txt" > "$W/ev1.out" 2>&1
"$PY" -c "
import re, sys
l0 = float(re.search(r'loss: ([0-9.]+)', open('$W/ev0.out').read()).group(1)); l1 = float(re.search(r'loss: ([0-9.]+)', open('$W/ev1.out').read()).group(1))
sys.exit(0 if l1 < l0 else 1)" && ok || bad "F20: fine-tuning did not lower the loss on its text: $(cat "$W/ev0.out" "$W/ev1.out")"
printf 'the 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n' > "$W/vec.txt"
expect_fail "word vectors are not supported for BPE models" "$DEEPC" train "$W/gpt2_small.dc" --data "$W/ft.txt" --embeddings "$W/vec.txt" --out "$W/x.safetensors"
grep -q "prefix transformer" "$W/f32.out" && ok || bad "the prefix is reported: $(cat "$W/f32.out")"
# --json: the last line one object naming its command (red team 3 F17)
"$DEEPC" import-gpt2 "$W/hf_f16.safetensors" --description "$W/gpt2_small.dc" --out "$W/j.safetensors" --json > "$W/j.out" 2>&1 \
  && [ "$(json_field "$W/j.out" "['command']")" = import-gpt2 ] && ok || bad "import-gpt2 --json: $(tail -2 "$W/j.out")"
# the imported model trains as the reference does: loss, every gradient, five AdamW steps (llm.c's test_gpt2.c)
"$PARITY" hf "$W/gpt2_small.dc" "$W/hf_f32.safetensors" "$W/hf_train.safetensors" > "$W/hf_train.out" 2>&1 || bad "deepc side: $(cat "$W/hf_train.out")"
(cd "$SRC/tests" && "$PY" gpt2_train_check.py "$W/hf_f32.safetensors" "$W/hf_train.safetensors") > "$W/hf_check.out" 2>&1 \
  && ok || bad "imported model training: $(tail -5 "$W/hf_check.out")"
expect_fail "no tensor h.1.mlp.c_fc.bias" "$DEEPC" import-gpt2 "$W/hf_missing.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "tensor h.0.attn.c_attn.weight is (48, 16); the model needs (48, 16) transposed" "$DEEPC" import-gpt2 "$W/hf_shape.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "h.1.ln_2.weight (F16) holds NaN at element 3" "$DEEPC" import-gpt2 "$W/hf_nan.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "more than the model's 2 blocks" "$DEEPC" import-gpt2 "$W/hf_more.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
# red team 3 F15: integer tensors are not weights; a stray h.K.* past the
# model's blocks (not only h.K.ln_1.weight) is another model
PYTHONPATH="$SRC/tests" "$PY" - "$W" <<'PYEOF'
import struct, sys, st_edit
w = sys.argv[1]
m, t = st_edit.read(w + "/hf_f16.safetensors")
dt, sh, by = t["ln_f.weight"]
n = len(by) // 2
st_edit.write(w + "/hf_u8.safetensors", m, dict(t, **{"ln_f.weight": ("U8", sh, bytes(range(100, 100 + n)))}))
st_edit.write(w + "/hf_i32.safetensors", m, dict(t, **{"ln_f.weight": ("I32", sh, struct.pack("<%di" % n, *([10**9] * n)))}))
st_edit.write(w + "/hf_stray.safetensors", m, dict(t, **{"h.5.mlp.c_fc.bias": t["h.1.mlp.c_fc.bias"]}))
PYEOF
expect_fail "tensor ln_f.weight is U8; GPT-2 weights are F32, F16 or BF16" "$DEEPC" import-gpt2 "$W/hf_u8.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "tensor ln_f.weight is I32; GPT-2 weights are F32, F16 or BF16" "$DEEPC" import-gpt2 "$W/hf_i32.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "more than the model's 2 blocks (h.5.mlp.c_fc.bias)" "$DEEPC" import-gpt2 "$W/hf_stray.safetensors" --description "$W/gpt2_small.dc" --out "$W/x.safetensors"
expect_fail "level=bpe" "$DEEPC" import-gpt2 "$W/hf_f32.safetensors" --description "$SRC/models/char_gpt.dc" --out "$W/x.safetensors"
[ ! -e "$W/x.safetensors" ] && ok || bad "a failed import left a file"
finish gpt2_import
