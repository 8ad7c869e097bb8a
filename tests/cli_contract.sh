#!/bin/sh
# cli_contract.sh DEEPC WORKDIR SOURCE_DIR — every command keeps the
# command line's contract (issue 16):
#  - with --json the last line of stdout is one JSON object naming the
#    command, on success and on error;
#  - COMMAND --help is that command's own page (its usage line, not the
#    overview), deepc help COMMAND the same; -V prints the version;
#  - --key=value works as --key value; a misspelt option or command gets
#    "did you mean".
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
SK=$(sh "$SRC/scripts/tables.sh" "$W/data") || bad "no tables"
IRIS="$SK/iris.csv --skip-rows 1 --no-header"
run_json() { # run_json COMMAND KEY ARGS...: succeeds, and its last line is its JSON
  c=$1; k=$2; shift 2
  "$DEEPC" "$c" "$@" --json > "$W/$c.out" 2> "$W/$c.err" && last_json "$W/$c.out" "$c" "$k" && ok || bad "$c --json: $(tail -c 300 "$W/$c.out") $(tail -2 "$W/$c.err")"
}

# a small model of each kind the commands need
printf 'input auto\ndense 8 activation=relu\ndense 3 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=16 seed=1\n' > "$W/iris.dc"
run_json train history "$W/iris.dc" --data $IRIS --test-split 0.2 --quiet --out "$W/iris.safetensors"
run_json eval test_loss "$W/iris.safetensors" --data $IRIS
run_json predict predictions "$W/iris.safetensors" --data $IRIS --limit 3
run_json summary layers "$W/iris.safetensors"
run_json cv folds "$W/iris.dc" --data $IRIS --folds 2 --epochs 1 --quiet
tiny_png_folder "$W/imgs"
run_json export names "$W/iris.safetensors" --format safetensors --weights-only --out "$W/iris_w.safetensors"
run_json quantize bits "$W/iris.safetensors" --out "$W/iris_q.safetensors"
run_json transform features --data $IRIS --out "$W/iris_t.csv"
run_json augment out "$W/imgs" --augment rotation=10 --image-size 8x8 --grayscale --out "$W/grid.png"
"$DEEPC" train "$SRC/models/fashion_vae.dc" --data fashion-mnist --limit 64 --epochs 1 --quiet --out "$W/vae.safetensors" > "$W/vae.out" 2>&1 || bad "train a VAE: $(tail -2 "$W/vae.out")"
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null && head -c 8000 "$W/fortunes.txt" > "$W/small.txt"
sed -e 's/^input 128/input 16/; s/embedding 128 128/embedding 128 16/; s/repeat 4/repeat 1/; s/maxlen=128/maxlen=16/' \
    -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.1/; s/steps_per_epoch=500/steps_per_epoch=3/' \
    -e 's/epochs=4/epochs=1/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --out "$W/gpt.safetensors" > "$W/gpt.out" 2>&1 || bad "train a GPT: $(tail -2 "$W/gpt.out")"
run_json generate text "$W/gpt.safetensors" --prompt "The " --max-tokens 3
G=$SRC/data/gpt2
sh "$SRC/scripts/gpt2_bpe.sh" "$G" > /dev/null || bad "gpt2_bpe.sh"
printf 'Hello world' > "$W/hello.txt"
run_json tokenize ids --vocab "$G/encoder.json" --merges "$G/vocab.bpe" "$W/hello.txt"
mkdir -p "$W/tok"
run_json tokenizer vocab_size train "$W/small.txt" --vocab-size 300 --out "$W/tok" --quiet
# (import-gpt2 --json is checked in tests/gpt2_import.sh; generate of images below)
"$DEEPC" generate "$W/vae.safetensors" --out "$W/vae.png" --samples 4 --json > "$W/gen_img.out" 2>&1 && last_json "$W/gen_img.out" generate \
  && ok || bad "generate (images) --json: $(tail -2 "$W/gen_img.out")"

# errors with --json: the last line of stdout names the command and the error
for c in train eval predict summary cv generate tokenize transform export quantize distill; do
  "$DEEPC" $c "$W/nope" --data "$W/nope.csv" --json > "$W/e_$c.out" 2> /dev/null
  last_json "$W/e_$c.out" "$c" error && ok || bad "$c --json on an error: $(tail -2 "$W/e_$c.out")"
done

# each command's --help is its own page, and deepc help COMMAND is the same
for c in train eval predict summary augment generate tokenize tokenizer import-gpt2 import-onnx cv transform export quantize distill prune serve; do
  "$DEEPC" $c --help > "$W/h_$c.out" 2>&1 && head -1 "$W/h_$c.out" | grep -q "^usage: deepc $c " && ok || bad "$c --help: $(head -2 "$W/h_$c.out")"
  "$DEEPC" help $c | cmp -s - "$W/h_$c.out" && ok || bad "deepc help $c differs from $c --help"
done
[ "$(cat "$W"/h_*.out | grep -c '^usage: deepc ')" = 17 ] && ok || bad "the help pages are not one per command"
grep -q "VAE\|variational" "$W/h_import-gpt2.out" && bad "import-gpt2 --help shows another command's text" || ok
"$DEEPC" -V | grep -q "^deepc [0-9]" && ok || bad "-V"
"$DEEPC" --help | grep -q "deepc COMMAND --help" && ok || bad "the overview points to the pages"

# --key=value as --key value; did you mean
"$DEEPC" eval "$W/iris.safetensors" --data=$SK/iris.csv --skip-rows=1 --no-header --json > "$W/kv.out" 2>&1
cmp -s "$W/kv.out" "$W/eval.out" && ok || bad "--key=value: $(tail -c 200 "$W/kv.out")"
expect_fail "unknown option --epoch: did you mean --epochs?" "$DEEPC" train "$W/iris.dc" --epoch 3
expect_fail 'unknown command "trian": did you mean "train"?' "$DEEPC" trian
expect_fail "takes no value" "$DEEPC" eval "$W/iris.safetensors" --json=yes
printf 'input 4\ndense 2 activaton=relu\n' > "$W/typo.dc"
expect_fail 'unknown option "activaton" for '"'"'dense'"'"': did you mean "activation"?' "$DEEPC" summary "$W/typo.dc"
printf 'input 4\ntransformer_blok 2\n' > "$W/typo2.dc"
expect_fail 'unknown keyword "transformer_blok": did you mean "transformer_block"?' "$DEEPC" summary "$W/typo2.dc"
# summary of an input auto description with --data (it said "none was given")
"$DEEPC" summary "$W/iris.dc" --data $IRIS --json > "$W/sum_auto.out" 2>&1 && [ "$(json_field "$W/sum_auto.out" "['params']")" = 67 ] && ok \
  || bad "summary of input auto with --data: $(tail -2 "$W/sum_auto.out")"
expect_fail "train or summary it with --data CSV" "$DEEPC" summary "$W/iris.dc"
# a description's relative vocab= and merges= are found beside it
mkdir -p "$W/desc/files" && cp "$G/encoder.json" "$G/vocab.bpe" "$W/desc/files/"
sed "s|^text .*|text level=bpe vocab=files/encoder.json merges=files/vocab.bpe maxlen=16 target=stream|; s/embedding 128 16/embedding 50257 16/; s/dense 128 tie=wte/dense 50257 tie=wte/" "$W/gpt.dc" > "$W/desc/bpe.dc"
(cd / && "$DEEPC" train "$W/desc/bpe.dc" --data "$W/small.txt" --stop-after 1 --out "$W/bpe.safetensors") > "$W/bpe_rel.out" 2>&1
grep -q "BPE tokens" "$W/bpe_rel.out" && ok || bad "relative vocab= beside the description: $(tail -3 "$W/bpe_rel.out")"
# sizes as people read them: MB for GPT-2's parameters, KB for a text
"$DEEPC" summary "$SRC/models/gpt2.dc" | grep -q "^Total params: 124439808 (474.70 MB)$" && ok || bad "summary's size: $("$DEEPC" summary "$SRC/models/gpt2.dc" 2>&1 | grep Total)"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --stop-after 1 --out "$W/g1.safetensors" > "$W/g1.out" 2>&1
grep -q "small.txt: 7.81 KB, [0-9]* tokens" "$W/g1.out" && ok || bad "the text's size in KB: $(head -1 "$W/g1.out")"
# progress while a tokenizer trains: the pieces, then each tenth of the merges
"$DEEPC" tokenizer train "$W/small.txt" --vocab-size 600 --out "$W/tok" --force > "$W/tokp.out" 2>&1
grep -q "distinct pieces (.* symbols) in 1 file; 343 merges to make" "$W/tokp.out" && [ "$(grep -c "^merges: [0-9]* of 343$" "$W/tokp.out")" = 9 ] && ok \
  || bad "tokenizer train's progress: $(cat "$W/tokp.out")"
# eval or predict on a description: train it first
expect_fail "a text file, not a model file: if it is a model description, train it first" "$DEEPC" eval "$W/iris.dc" --data $IRIS
expect_fail "train it first" "$DEEPC" predict "$W/iris.dc" --data $IRIS

finish cli_contract
