#!/bin/sh
# ggml_gpt2.sh GGML_BUILD [DEEPC_BUILD] [RUNS] — GPT-2 small generation,
# deepc against ggml's own gpt-2 example on identical random weights: deepc's
# models/gpt2.dc as bench/gpt2_generate builds it (saved with DEEPC_SAVE),
# converted by bench/ggml_gpt2.py, quantized by ggml's gpt-2-quantize to
# q8_0 and q4_0. A 16-token prompt, then 128 tokens, greedy (ggml: --top_k 1),
# 1 and 2 threads, RUNS (3) runs each, medians. ggml reports one time for the
# prompt and the tokens together (its "predict time"), so both engines are
# compared on that: milliseconds per token over all 144. deepc's decode
# tokens/s alone are printed beside.
# GGML_BUILD: a build of github.com/ggerganov/ggml with
#   cmake -S ggml -B GGML_BUILD -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON
#   cmake --build GGML_BUILD --target gpt-2-ctx gpt-2-quantize
set -eu
G=$1; D=${2:-build}; RUNS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
PY=${PYTHON:-/usr/bin/python3}
sh "$ROOT/scripts/gpt2_bpe.sh" > /dev/null
DEEPC_SAVE="$W/gpt2.safetensors" "$D/gpt2_generate" "$ROOT/models/gpt2.dc" 1 0 1 > /dev/null
"$PY" "$ROOT/bench/ggml_gpt2.py" "$W/gpt2.safetensors" "$ROOT/data/gpt2/encoder.json" "$W/f32.bin" > /dev/null
rm "$W/gpt2.safetensors"
for t in q8_0 q4_0; do "$G/bin/gpt-2-quantize" "$W/f32.bin" "$W/$t.bin" $t > /dev/null 2>&1; done
PROMPT="Hello, I am a language model and I like to write long sentences about it" # 16 tokens
IDS=15496,11,314,716,257,3303,2746,290,314,588,284,3551,890,13439,546,340
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| threads | format | ggml ms/token | deepc ms/token | deepc / ggml | deepc decode tokens/s |"
echo "|---:|---|---:|---:|---:|---:|"
for th in 1 2; do
  for f in f32:0 q8_0:8 q4_0:4; do
    fmt=${f%%:*}; bits=${f#*:}
    g=$(for r in $(seq "$RUNS"); do "$G/bin/gpt-2-ctx" -m "$W/$fmt.bin" -p "$PROMPT" -n 128 -t $th --top_k 1 -s 1 2>&1 \
          | sed -n 's/.*predict time = *[0-9.]* ms \/ \([0-9.]*\) ms per token.*/\1/p'; done | median)
    out=$(DEEPC_PROMPT_IDS=$IDS "$D/gpt2_generate" "$ROOT/models/gpt2.dc" $th $bits "$RUNS")
    d=$(echo "$out" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%.2f %.1f" % (1000 * (16 / r["prefill_tokens_per_second"] + 128 / r["decode_tokens_per_second"]) / 144, r["decode_tokens_per_second"]))')
    ms=${d% *}; dec=${d#* }
    echo "| $th | $fmt | $g | $ms | $("$PY" -c "print('%.2f' % ($ms / $g))") | $dec |"
  done
done
