#!/bin/sh
# serve.sh DEEPC WORKDIR SOURCE_DIR — `deepc serve` with real clients
# (tests/serve_check.py: Python's http.client on 64 threads, raw sockets,
# curl, node's fetch): small models of every kind a server takes are
# trained here — the Fashion MLP (arrays of numbers; also int8 and 95%
# pruned, whose sessions run sparse), a CNN (base64 PNGs),
# a table with a categorical column (objects of columns), a text LSTM
# (strings) and a character GPT (completions, JSON and SSE) — and every
# answer is compared with what `deepc predict` / `deepc generate` give.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"

if [ -n "${SERVE_MODELS:-}" ] && [ -f "$SERVE_MODELS/gpt.safetensors" ]; then
  # the sanitizer runs (scripts/test.sh) take the release run's models: the
  # answers are still compared with this build's own deepc predict/generate
  for f in mlp mlp8 pruned cnn weather rev gpt; do cp "$SERVE_MODELS/$f.safetensors" "$W/"; done
  cp "$SERVE_MODELS/weather.csv" "$SERVE_MODELS/reviews.csv" "$W/"
else
  "$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --epochs 1 --limit 3000 --quiet --out "$W/mlp.safetensors" > "$W/train.out" 2>&1 \
    || bad "train the MLP: $(tail -3 "$W/train.out")"
  "$DEEPC" train "$SRC/models/fashion_cnn.dc" --data fashion-mnist --epochs 1 --limit 600 --quiet --out "$W/cnn.safetensors" > "$W/train.out" 2>&1 \
    || bad "train the CNN: $(tail -3 "$W/train.out")"
  "$DEEPC" quantize "$W/mlp.safetensors" --out "$W/mlp8.safetensors" > "$W/train.out" 2>&1 || bad "quantize the MLP: $(tail -3 "$W/train.out")"
  "$DEEPC" prune "$W/mlp.safetensors" --sparsity 0.95 --data fashion-mnist --limit 1000 --epochs 1 --quiet --out "$W/pruned.safetensors" > "$W/train.out" 2>&1 \
    || bad "prune the MLP: $(tail -3 "$W/train.out")"
  # a table: two numbers and a category -> play yes/no
  "$PY" - "$W/weather.csv" << 'PYEOF'
import random, sys
random.seed(3)
rows = ["temperature,humidity,outlook,play"]
for i in range(300):
    t, h, o = random.uniform(0, 35), random.uniform(20, 100), random.choice(["sunny", "rain", "overcast"])
    play = "yes" if (o != "rain" and 12 < t < 30 and h < 80) else "no"
    rows.append("%.1f,%.0f,%s,%s" % (t, h, o, play))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
  printf 'input auto\ndense 16 activation=relu\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=5 batch_size=16 seed=1\n' > "$W/weather.dc"
  "$DEEPC" train "$W/weather.dc" --data "$W/weather.csv" --label play --scale standard --quiet --out "$W/weather.safetensors" > "$W/train.out" 2>&1 \
    || bad "train the table: $(tail -3 "$W/train.out")"
  # texts: positive and negative reviews
  "$PY" - "$W/reviews.csv" << 'PYEOF'
import random, sys
random.seed(1)
pos = "good great excellent lovely fine superb happy nice".split()
neg = "bad awful terrible poor sad horrible ugly nasty".split()
filler = "the a movie was and it film story plot acting really quite very i think".split()
rows = ["text,label"]
for i in range(300):
    lab = i % 2
    words = [random.choice(filler) for _ in range(random.randint(3, 14))]
    words.insert(random.randrange(len(words) + 1), random.choice(pos if lab else neg))
    rows.append('"%s",%s' % (" ".join(words), "pos" if lab else "neg"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
  printf 'input 20\nembedding 100 16 mask_zero=true\nlstm 16\ndense 1 activation=sigmoid\nloss binary_crossentropy\noptimizer adam lr=0.01\nfit epochs=3 batch_size=32 seed=1\ntext column=text maxlen=20 num_words=100 oov=true\n' > "$W/rev.dc"
  "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --quiet --out "$W/rev.safetensors" > "$W/train.out" 2>&1 \
    || bad "train the text model: $(tail -3 "$W/train.out")"
  # a character GPT (tests/gpt.sh's, shorter)
  sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
  head -c 60000 "$W/fortunes.txt" > "$W/small.txt"
  sed -e 's/^input 128/input 32/; s/embedding 128 128/embedding 128 32/; s/repeat 4/repeat 2/; s/maxlen=128/maxlen=32/' \
      -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.1/; s/steps_per_epoch=500/steps_per_epoch=20/' \
      -e 's/epochs=4/epochs=1/; s/warmup=100/warmup=5/; s/t_max=1900/t_max=20/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
  "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --out "$W/gpt.safetensors" > "$W/train.out" 2>&1 \
    || bad "train the GPT: $(tail -3 "$W/train.out")"
fi

"$PY" "$SRC/tests/serve_check.py" "$DEEPC" "$W" && ok || bad "serve_check.py (its FAIL lines above)"
# the command line: no model, an unknown option, a bad size, an unreadable key file, a name twice, a missing file
expect_fail "serve needs a MODEL file" "$DEEPC" serve
expect_fail "unknown option --bogus" "$DEEPC" serve "$W/mlp.safetensors" --bogus
expect_fail "--max-body 12Q" "$DEEPC" serve "$W/mlp.safetensors" --max-body 12Q
expect_fail "--api-key-file $W/nokey" "$DEEPC" serve "$W/mlp.safetensors" --api-key-file "$W/nokey"
expect_fail "two models named \"mlp\"" "$DEEPC" serve "$W/mlp.safetensors" mlp="$W/cnn.safetensors"
expect_fail "model gone" "$DEEPC" serve gone="$W/nothing.safetensors"
expect_fail "--host example.org is not an IPv4 or IPv6 address" "$DEEPC" serve "$W/mlp.safetensors" --host example.org
finish serve
