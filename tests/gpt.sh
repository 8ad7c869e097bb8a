#!/bin/sh
# gpt.sh DEEPC WORKDIR SOURCE_DIR — a character-level GPT from the command
# line, on a slice of Debian's fortunes (scripts/fortunes_txt.sh): a
# smaller models/char_gpt.dc trains on the text as one token stream (the
# validation part is its end), the loss falls, the run is reproducible and
# resumable; `deepc generate` streams text that a seed fixes, the same with
# and without the KV cache, in batches, up to a stop string; bad input.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
head -c 120000 "$W/fortunes.txt" > "$W/small.txt"
# char_gpt.dc at a test's size: width 32, 2 blocks, a context of 32, 2 x 40 steps
sed -e 's/^input 128/input 32/; s/embedding 128 128/embedding 128 32/; s/repeat 4/repeat 2/; s/maxlen=128/maxlen=32/' \
    -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.1/; s/steps_per_epoch=500/steps_per_epoch=40/' \
    -e 's/epochs=4/epochs=2/; s/warmup=100/warmup=10/; s/t_max=1900/t_max=70/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --out "$W/gpt.safetensors" > "$W/train.out" 2>&1 \
  || bad "train the GPT: $(tail -3 "$W/train.out")"
grep -q 'tok/s' "$W/train.out" && grep -q 'val_perplexity' "$W/train.out" && ok || bad "tokens/s and perplexity in the progress: $(cat "$W/train.out")"
vl=$(grep -o 'val_loss: [0-9.]*' "$W/train.out" | awk '{print $2}' | tr '\n' ' ')
"$PY" -c "import math,sys; v=[float(x) for x in '$vl'.split()]; sys.exit(0 if len(v)==2 and v[1] < v[0] < math.log(101) else 1)" \
  && ok || bad "validation loss falls below chance (ln 101): $vl"
# same seed, same threads: the same model, byte for byte
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --out "$W/gpt2.safetensors" --quiet > /dev/null 2>&1
cmp -s "$W/gpt.safetensors" "$W/gpt2.safetensors" && ok || bad "two runs with one seed differ"
# stopped after 50 steps and resumed: the same model as the run that never stopped
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --out "$W/part.safetensors" --stop-after 50 --quiet > /dev/null 2>&1
"$DEEPC" train --resume "$W/part.safetensors" --data "$W/small.txt" --out "$W/part.safetensors" --force --quiet > "$W/resume.out" 2>&1 \
  || bad "resume: $(tail -3 "$W/resume.out")"
cmp -s "$W/gpt.safetensors" "$W/part.safetensors" && ok || bad "a resumed run differs from one that never stopped"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --out "$W/part2.safetensors" --stop-after 5 --quiet > /dev/null 2>&1
expect_fail "not the texts the run trained on" "$DEEPC" train --resume "$W/part2.safetensors" --data "$W/fortunes.txt" --out "$W/x.safetensors"

# eval on a text: every token once, in windows of the context
"$DEEPC" eval "$W/gpt.safetensors" --data "$W/small.txt" > "$W/eval.out" 2>&1 && grep -q 'perplexity' "$W/eval.out" \
  && ok || bad "eval a GPT on a text: $(cat "$W/eval.out")"

# generation: streamed, reproducible, the cache changes nothing (within the
# context: past it the cached window slides by half, the uncached by one)
G="$DEEPC generate $W/gpt.safetensors --prompt Why --max-tokens 29 --temperature 0.8 --top-k 20 --top-p 0.95 --seed 3"
$G > "$W/g1.out" 2> "$W/g1.err" || bad "generate: $(cat "$W/g1.err")"
$G > "$W/g2.out" 2>/dev/null
$G --no-cache > "$W/g3.out" 2> "$W/g3.err"
[ "$(head -c 3 "$W/g1.out")" = "Why" ] && [ "$(wc -c < "$W/g1.out")" -gt 25 ] && ok || bad "generate prints the prompt and its continuation: $(cat "$W/g1.out")"
cmp -s "$W/g1.out" "$W/g2.out" && ok || bad "one seed, two different texts"
cmp -s "$W/g1.out" "$W/g3.out" && ok || bad "the KV cache changed the text: $(cat "$W/g1.out") / $(cat "$W/g3.out")"
grep -q 'KV cache' "$W/g1.err" && grep -q 'whole window' "$W/g3.err" && ok || bad "the speed line names the path"
# past the context of 32: the window slides, generation goes on
"$DEEPC" generate "$W/gpt.safetensors" --prompt "A" --max-tokens 100 --seed 1 > "$W/long.out" 2>/dev/null && [ "$(wc -c < "$W/long.out")" -gt 80 ] \
  && ok || bad "generate past the context: $(cat "$W/long.out")"
"$DEEPC" generate "$W/gpt.safetensors" --prompt "The " --max-tokens 30 --samples 3 --seed 2 > "$W/s3.out" 2>/dev/null
[ "$(grep -c '^--- sample' "$W/s3.out")" = 3 ] && ok || bad "three samples at once: $(cat "$W/s3.out")"
"$DEEPC" generate "$W/gpt.safetensors" --prompt "The " --max-tokens 300 --stop "e" --seed 2 > "$W/stop.out" 2>/dev/null
[ "$(tail -c 2 "$W/stop.out" | head -c 1)" = "e" ] && [ "$(wc -c < "$W/stop.out")" -lt 100 ] && ok || bad "--stop ends the text: $(cat "$W/stop.out")"
"$DEEPC" generate "$W/gpt.safetensors" --prompt "The " --max-tokens 20 --temperature 0 > "$W/greedy1.out" 2>/dev/null
"$DEEPC" generate "$W/gpt.safetensors" --prompt "The " --max-tokens 20 --temperature 0 --seed 9 > "$W/greedy2.out" 2>/dev/null
cmp -s "$W/greedy1.out" "$W/greedy2.out" && ok || bad "temperature 0 is greedy (no seed matters)"

# pretrain, then fine-tune: a GPT on the texts of labelled reviews (a token
# stream), then a classifier of the same body reading the last token, from
# scratch, fine-tuned, and with the body frozen; and a Transformer encoder
# classifier (non-causal, mean over the real steps)
"$PY" - "$W/reviews.csv" "$W/reviews.txt" <<'PYEOF'
import random, sys
random.seed(5)
pos = "good great excellent lovely superb happy nice".split()
neg = "bad awful terrible poor sad horrible nasty".split()
filler = "the a movie was and it film story plot acting really quite very".split()
rows, texts = ["text,label"], []
for i in range(800):
    lab = i % 2
    words = [random.choice(filler) for _ in range(random.randint(1, 3))]
    words.insert(random.randrange(len(words) + 1), random.choice(pos if lab else neg))
    t = " ".join(words)
    rows.append("%s,%s" % (t, "pos" if lab else "neg"))
    texts.append(t + ".")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
open(sys.argv[2], "w").write("\n".join(texts) + "\n")
PYEOF
sed -e 's/steps_per_epoch=40/steps_per_epoch=60/' "$W/gpt.dc" > "$W/lm.dc"
"$DEEPC" train "$W/lm.dc" --data "$W/reviews.txt" --out "$W/lm.safetensors" --quiet > "$W/lm.out" 2>&1 || bad "pretrain: $(tail -3 "$W/lm.out")"
cat > "$W/cls.dc" <<'DCEOF'
input 32
embedding 128 32 init=normal name=wte mask_zero=true
positional_embedding name=wpe
repeat 2
transformer_block 2
end
layer_norm name=ln_f
last_step
dense 2 activation=softmax name=head
loss categorical_crossentropy
optimizer adamw lr=0.002
fit epochs=12 batch_size=32 seed=1
text level=char lowercase=false oov=true num_words=128 maxlen=32
DCEOF
"$DEEPC" train "$W/cls.dc" --data "$W/reviews.csv" --test-split 0.25 --stratify --init-from "$W/lm.safetensors" --json \
  --out "$W/ft.safetensors" > "$W/ft.out" 2>&1 || bad "fine-tune: $(tail -3 "$W/ft.out")"
grep -q 'loaded' "$W/ft.out" && at_least "$(json_field "$W/ft.out" "['test_accuracy']")" 0.8 && ok || bad "fine-tuned GPT classifier: $(tail -c 400 "$W/ft.out")"
# the body frozen: only the head trains (the body's tensors stay the language model's, byte for byte)
"$DEEPC" train "$W/cls.dc" --data "$W/reviews.csv" --test-split 0.25 --stratify --init-from "$W/lm.safetensors" --quiet \
  --freeze wte,wpe,transformer_block,transformer_block_1,ln_f --out "$W/frozen.safetensors" > "$W/frozen.out" 2>&1 || bad "frozen body: $(tail -3 "$W/frozen.out")"
(cd "$SRC/tests" && "$PY" -c "
import sys; from st_read import read
a, _ = read('$W/lm.safetensors'); b, _ = read('$W/frozen.safetensors')
body = [k for k in a if k.startswith(('wte.', 'wpe.', 'transformer_block', 'ln_f.'))]
sys.exit(0 if len(body) == 28 and all((a[k] == b[k]).all() for k in body) and 'head.weight' in b else 1)") && ok || bad "a frozen body changed"
printf 'input 32\nembedding 128 32 mask_zero=true\npositional_embedding\ntransformer_encoder 4 ff=64\nglobal_avg_pool1d\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.002\nfit epochs=4 batch_size=32 seed=1\ntext level=word maxlen=32 num_words=100 oov=true\n' > "$W/enc.dc"
"$DEEPC" train "$W/enc.dc" --data "$W/reviews.csv" --test-split 0.25 --stratify --json --out "$W/enc.safetensors" > "$W/enc.out" 2>&1 \
  && at_least "$(json_field "$W/enc.out" "['test_accuracy']")" 0.95 && ok || bad "Transformer encoder classifier: $(tail -c 400 "$W/enc.out")"

# an LSTM language model (target=next: a text per line) generates too, over its whole window per token
printf 'input 16\nembedding 40 16\nlstm 32 return_sequences=true\ndense 40 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=32 seed=1\ntext level=char maxlen=16 target=next\n' > "$W/lstm_lm.dc"
"$DEEPC" train "$W/lstm_lm.dc" --data "$W/reviews.txt" --out "$W/lstm_lm.safetensors" --quiet > "$W/lstm.out" 2>&1 || bad "train an LSTM LM: $(tail -3 "$W/lstm.out")"
"$DEEPC" generate "$W/lstm_lm.safetensors" --prompt "the " --max-tokens 20 --seed 1 > "$W/lstm_gen.out" 2> "$W/lstm_gen.err"
[ "$(head -c 4 "$W/lstm_gen.out")" = "the " ] && [ "$(wc -c < "$W/lstm_gen.out")" -gt 15 ] && grep -q 'whole window' "$W/lstm_gen.err" \
  && ok || bad "generate from an LSTM language model: $(cat "$W/lstm_gen.out" "$W/lstm_gen.err")"

# gradient accumulation: 4 batches of 8 per optimizer step train as one batch
# of 32 (a stream: the same windows in the same order, all full; no dropout)
sed -e 's/ dropout=0.1//; /^dropout /d; s/epochs=2/epochs=1/' "$W/gpt.dc" > "$W/nodrop.dc"
sed 's/steps_per_epoch=40 batch_size=32/steps_per_epoch=10 batch_size=32/' "$W/nodrop.dc" > "$W/b32.dc"
sed 's/steps_per_epoch=40 batch_size=32/steps_per_epoch=40 batch_size=8 accumulate=4/' "$W/nodrop.dc" > "$W/acc.dc"
"$DEEPC" train "$W/b32.dc" --data "$W/small.txt" --out "$W/b32.safetensors" --quiet > /dev/null 2>&1
"$DEEPC" train "$W/acc.dc" --data "$W/small.txt" --out "$W/acc.safetensors" --quiet > "$W/acc.out" 2>&1 || bad "accumulate: $(cat "$W/acc.out")"
(cd "$SRC/tests" && "$PY" -c "
import sys; from st_read import read
a, _ = read('$W/b32.safetensors'); b, _ = read('$W/acc.safetensors')
w = [k for k in a if k.startswith(('wte', 'wpe', 'transformer_block', 'ln_f'))]
d = max(float(abs(a[k] - b[k]).max()) for k in w)
sys.exit(0 if len(w) == 28 and d < 1e-4 else 1)") && ok || bad "accumulate=4 at batch 8 differs from batch 32"
# stopped mid-group, it stops at the group's end and resumes exactly
"$DEEPC" train "$W/acc.dc" --data "$W/small.txt" --out "$W/accp.safetensors" --stop-after 5 --quiet > /dev/null 2>&1
"$DEEPC" train --resume "$W/accp.safetensors" --data "$W/small.txt" --out "$W/accp.safetensors" --force --quiet > /dev/null 2>&1
cmp -s "$W/acc.safetensors" "$W/accp.safetensors" && ok || bad "an accumulating run stopped and resumed differs"

# the seeds' model: Embedding -> a causal Transformer encoder layer -> softmax over the characters
sed 's/steps_per_epoch=300/steps_per_epoch=10/; s/epochs=3/epochs=1/' "$SRC/models/seed_lm.dc" > "$W/seed.dc"
"$DEEPC" train "$W/seed.dc" --data "$W/small.txt" --out "$W/seed.safetensors" --quiet > "$W/seed.out" 2>&1 || bad "seed_lm: $(tail -3 "$W/seed.out")"
"$DEEPC" generate "$W/seed.safetensors" --prompt "The " --max-tokens 30 --seed 4 > "$W/seed1.out" 2>/dev/null
"$DEEPC" generate "$W/seed.safetensors" --prompt "The " --max-tokens 30 --seed 4 --no-cache > "$W/seed2.out" 2>/dev/null
[ "$(wc -c < "$W/seed1.out")" -gt 25 ] && cmp -s "$W/seed1.out" "$W/seed2.out" && ok || bad "seed_lm generates, the same with the cache: $(cat "$W/seed1.out" "$W/seed2.out")"

# bad input
expect_fail "longer than the model's context" "$DEEPC" generate "$W/gpt.safetensors" --prompt "$(head -c 200 "$W/small.txt")"
expect_fail "no token of the model's vocabulary" "$DEEPC" generate "$W/gpt.safetensors" --prompt ""
expect_fail "not a trained language model" "$DEEPC" generate "$SRC/tests/fixtures/v1_iris.safetensors" --prompt "x"
expect_fail "--temperature" "$DEEPC" generate "$W/gpt.safetensors" --prompt "x" --temperature -1
expect_fail "not a text file" "$DEEPC" train "$W/gpt.dc" --data "$SRC/tests/fixtures/images/gray.png" --out "$W/y.safetensors"
head -c 20 "$W/small.txt" > "$W/short.txt"
expect_fail "fewer than one window" "$DEEPC" train "$W/gpt.dc" --data "$W/short.txt" --out "$W/y.safetensors"
sed 's/dense 128 tie=wte/dense 64 tie=wte/' "$W/gpt.dc" > "$W/badtie.dc"
expect_fail "tie=wte: its table is 128x32" "$DEEPC" summary "$W/badtie.dc"
sed 's/tie=wte/tie=nothing/' "$W/gpt.dc" > "$W/badtie2.dc"
expect_fail "tie=nothing names no embedding layer" "$DEEPC" summary "$W/badtie2.dc"
sed 's/transformer_block 2/transformer_block 3/' "$W/gpt.dc" > "$W/badheads.dc"
expect_fail "does not divide into 3 heads" "$DEEPC" summary "$W/badheads.dc"
finish gpt_cli
