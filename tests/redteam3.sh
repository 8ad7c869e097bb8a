#!/bin/sh
# redteam3.sh DEEPC WORKDIR SOURCE_DIR — the third red team's crafted
# inputs (../shared/redteam3, issue 16), each fixed one a regression test:
#  - F01 a model file whose vocabulary and class names are all %-escapes
#    loads in linear time (sscanf measured the rest of the string per escape);
#  - F03 a model file of many tensors opens in linear time (a scan per tensor);
#  - F05 token ids past an embedding's table are refused before the first step;
#  - F06 a graph of more tensors than a model file holds is refused before
#    training, not at the final save;
#  - F09 a text maxlen that is not the input's length is refused at load;
#  - F11 a NUL byte in a text folder's file or a file of lines is refused
#    with the file and the byte;
#  - F22 GloVe values that underflow float load (1e-39 is a subnormal),
#    overflow says "out of float range";
#  - F23 freezing every layer says so before training;
#  - F19 a language model's description error is reported as itself;
#  - F14 a model whose output is NaN fails generation and says why;
#  - F12 predict on a language model points to generate and eval;
#  - F13 generate --json stays valid JSON for bytes that are not UTF-8;
#  - F21 generate without --prompt on a language model says to give one;
#  - F24 a fixed-window language model asks for a prompt of a whole window;
#  - F04 tokenizer train checks its output files before training and
#    replaces existing ones only with --force (links and protected never);
#  - F18 tokenize of a folder is an error;
#  - F17 --json on predict --text, tokenize, tokenizer train and generate;
#  - F16 cv refuses text models clearly; --limit trains on the first N
#    samples; numeric-table options on texts and a stream's test split are refused;
#  - F07 generate --samples N runs a shared prompt once: memory follows N x V;
#  - F08 a BPE vocabulary over 8 MB in a model file is refused unparsed;
#  - F10 a stream's checkpoint does not grow with the epoch's length.
# The hang checks give a bound that only the old quadratic behaviour breaks
# (minutes against a second or two, ASan included); speed itself is
# measured in bench/, not here.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
ST="$SRC/tests"

# a small text classifier to carry crafted metadata
"$PY" - "$W/t.csv" <<'PYEOF'
import sys
rows = ["text,label"] + ['"%s good fine",pos' % w if i % 2 else '"%s bad poor",neg' % w for i, w in enumerate("abcdefghijklmnopqrstuvwxyz" * 4)]
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
printf 'input 8\nembedding 50 4\nflatten\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer adam\nfit epochs=1 batch_size=16 seed=1\ntext column=text maxlen=8\n' > "$W/t.dc"
"$DEEPC" train "$W/t.dc" --data "$W/t.csv" --quiet --out "$W/t.safetensors" > "$W/train.out" 2>&1 && ok || bad "train the carrier: $(tail -2 "$W/train.out")"

# F01: 400,000 vocabulary tokens and 100,000 class names of ten %25 escapes
# each (quadratic: over a minute, 5 minutes here; linear: under a second)
PYTHONPATH="$ST" "$PY" - "$W" <<'PYEOF'
import sys, st_edit
w = sys.argv[1]
m, t = st_edit.read(w + "/t.safetensors")
m.pop("training_state", None)
voc = m["vocabulary"]
m["vocabulary"] = "\n".join("%25" * 10 + str(i) for i in range(400000))
st_edit.write(w + "/esc.safetensors", m, t)
# the trained vocabulary with every byte escaped: the same tokens
m["vocabulary"] = "\n".join("".join("%%%02X" % b for b in tok.encode()) for tok in voc.split("\n"))
st_edit.write(w + "/same.safetensors", m, t)
PYEOF
timeout 30 "$DEEPC" summary "$W/esc.safetensors" > "$W/esc.out" 2>&1 && ok || bad "F01: a vocabulary of escapes (rc $?): $(tail -2 "$W/esc.out")"
a=$("$DEEPC" predict "$W/t.safetensors" --text "q good fine" 2>&1); b=$("$DEEPC" predict "$W/same.safetensors" --text "q good fine" 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "F01: an all-escaped vocabulary predicts as the plain one: '$a' vs '$b'"

# F03: 96,000 tensors from repeat blocks (quadratic: over a minute; linear: a second)
printf 'input 4\ndense 4 name=s\nrepeat 48\nrepeat 1000\ndense 4 name=a kernel_initializer=zeros\nadd inputs=a,block_input\nend\nend\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer sgd\nfit epochs=1 batch_size=4\n' > "$W/many.dc"
"$PY" -c "
import random
random.seed(1)
print('a,b,c,d,label')
for i in range(16): print(','.join('%.2f' % random.random() for _ in range(4)) + ',' + str(i % 2))" > "$W/four.csv"
"$DEEPC" train "$W/many.dc" --data "$W/four.csv" --epochs 1 --quiet --out "$W/many.safetensors" > "$W/many.out" 2>&1 && ok \
  || bad "F03: train the 96,000-tensor graph: $(tail -2 "$W/many.out")"
timeout 30 "$DEEPC" summary "$W/many.safetensors" > "$W/many_sum.out" 2>&1 && ok || bad "F03: open 96,000 tensors (rc $?): $(tail -2 "$W/many_sum.out")"

# F06: a graph of more tensors than a model file holds is refused before
# training (140,000 tensors trained, then the final save refused them)
sed 's/repeat 48/repeat 50/' "$W/many.dc" > "$W/over.dc"
expect_fail "a model file holds at most 100000" "$DEEPC" train "$W/over.dc" --data "$W/four.csv" --epochs 1 --out "$W/over.safetensors"
[ ! -e "$W/over.safetensors" ] && ok || bad "F06: a file was written"

# F09: a model file whose text maxlen is not its input's length is refused
# at load, before eval tokenizes every row into maxlen ids (0.8 GB for 200)
PYTHONPATH="$ST" "$PY" - "$W" <<'PYEOF'
import sys, st_edit
w = sys.argv[1]
m, t = st_edit.read(w + "/t.safetensors")
m["description"] = m["description"].replace("maxlen=8", "maxlen=1048576")
st_edit.write(w + "/maxlen.safetensors", m, t)
PYEOF
expect_fail "maxlen=1048576 must be the input's length (input 8)" "$DEEPC" eval "$W/maxlen.safetensors" --data "$W/t.csv"
rss=$("$PY" -c "
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)" "$DEEPC" eval "$W/maxlen.safetensors" --data "$W/t.csv")
[ "$rss" -lt 300 ] && ok || bad "F09: refusing the maxlen took $rss MB"

# F11: a NUL byte in a text (UTF-16 files: one after every ASCII letter) is
# refused with the file and the byte, not cut short silently
mkdir -p "$W/u16/pos" "$W/u16/neg"
"$PY" -c "
import sys
for c in ('pos', 'neg'):
    for i in range(6): open('%s/u16/%s/%d.txt' % (sys.argv[1], c, i), 'wb').write(('this is %s text %d' % (c, i)).encode('utf-16'))" "$W"
printf 'input 10\nembedding 50 4\nflatten\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer adam\nfit epochs=1 batch_size=4\ntext maxlen=10\n' > "$W/bow.dc"
expect_fail "0.txt: byte 3 is NUL: not a text file" "$DEEPC" train "$W/bow.dc" --data "$W/u16" --out "$W/x.safetensors"
printf 'input 6\nembedding 50 4\nlstm 8 return_sequences=true\ndense 50 activation=softmax\nloss categorical_crossentropy\noptimizer adam\nfit epochs=1 batch_size=4\ntext maxlen=6 target=next num_words=50\n' > "$W/next.dc"
printf 'hello there my friend\nhello\0world again\nmore text here\n' > "$W/nul.txt"
expect_fail "nul.txt:2: byte 6 of the line is NUL" "$DEEPC" train "$W/next.dc" --data "$W/nul.txt" --out "$W/x.safetensors"

# F22: GloVe vectors with float subnormals and underflow load; overflow is named
printf 'good 1e-39 0.1 0.2 0.3\nbad 1e-50 -0.1 0.2 0.3\n' > "$W/sub.txt"
printf 'good 1e39 0.1 0.2 0.3\n' > "$W/over.txt"
"$DEEPC" train "$W/t.dc" --data "$W/t.csv" --embeddings "$W/sub.txt" --quiet --out "$W/sub.safetensors" > "$W/sub.out" 2>&1 && ok \
  || bad "F22: subnormal embedding values: $(tail -2 "$W/sub.out")"
expect_fail 'over.txt:1:6: "1e39 0.1 0.2 0.3" is out of float range' "$DEEPC" train "$W/t.dc" --data "$W/t.csv" --embeddings "$W/over.txt" --out "$W/x.safetensors"

# F23: every layer frozen: said before a step, not by the backward
expect_fail "every layer with parameters is frozen: nothing to train" "$DEEPC" train "$W/t.dc" --data "$W/t.csv" --freeze embedding,dense --out "$W/x.safetensors"

# a tiny char GPT for the generation checks
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
head -c 20000 "$W/fortunes.txt" > "$W/small.txt"
sed -e 's/^input 128/input 16/; s/embedding 128 128/embedding 128 16/; s/repeat 4/repeat 1/; s/maxlen=128/maxlen=16/' \
    -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.1/; s/steps_per_epoch=500/steps_per_epoch=5/' \
    -e 's/epochs=4/epochs=1/; s/warmup=100/warmup=2/; s/t_max=1900/t_max=5/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --out "$W/gpt.safetensors" > "$W/gpt.out" 2>&1 && ok || bad "train the GPT: $(tail -3 "$W/gpt.out")"

# F10: a stream's windows are drawn per step, not listed up front for the
# epoch: ten million steps per epoch save as small a checkpoint as ten
# (the list made it 320 MB and 0.9 GB of memory), and it resumes
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --steps-per-epoch 10000000 --stop-after 1 --quiet --out "$W/long.safetensors" > "$W/long.out" 2>&1
[ -f "$W/long.safetensors" ] && [ "$(wc -c < "$W/long.safetensors")" -lt $(($(wc -c < "$W/gpt.safetensors") * 3)) ] && ok \
  || bad "F10: a checkpoint of a 10M-step epoch: $(wc -c < "$W/long.safetensors" 2>&1) bytes: $(tail -2 "$W/long.out")"
"$DEEPC" train --resume "$W/long.safetensors" --data "$W/small.txt" --stop-after 1 --quiet --force --out "$W/long.safetensors" > "$W/long2.out" 2>&1
"$PY" -c "
import sys; sys.path.insert(0, '$ST'); import st_edit
m, _ = st_edit.read('$W/long.safetensors')
sys.exit(0 if 'step=2' in m['training_state'].split() else 1)" && ok || bad "F10: resume a 10M-step epoch: $(tail -2 "$W/long2.out")"

# F05: a stream whose ids outrun the embedding's table is refused before the
# first step (it died at a random later epoch, nothing saved)
sed -e 's/embedding 128 16/embedding 20 16/; s/dense 128 tie=wte/dense 128/' "$W/gpt.dc" > "$W/small_emb.dc"
expect_fail '"wte" has a table of 20 rows (ids 0 to 19): give it at least' "$DEEPC" train "$W/small_emb.dc" --data "$W/small.txt" --out "$W/se.safetensors"

# F19: a mistake in a language model's description is reported as such,
# not as the text file read as a table
sed 's/transformer_block 2 dropout=0.1/transformer_block 3 dropout=0.1/' "$W/gpt.dc" > "$W/bad_heads.dc"
expect_fail "bad_heads.dc:16:1: transformer_block: the width 16 does not divide into 3 heads" "$DEEPC" train "$W/bad_heads.dc" --data "$W/small.txt" --out "$W/x.safetensors"

# F14: a model whose output is NaN fails generation with that reason, not
# a prompt followed by nothing (or a made-up token 0) and exit 0
PYTHONPATH="$ST" "$PY" - "$W" <<'PYEOF'
import struct, sys, st_edit
w = sys.argv[1]
m, t = st_edit.read(w + "/gpt.safetensors")
m.pop("training_state", None)
t = {k: v for k, v in t.items() if not k.startswith(("optimizer.", "train."))}
dt, sh, by = t["ln_f.weight"]
t["ln_f.weight"] = (dt, sh, struct.pack("<f", float("nan")) * (len(by) // 4))
st_edit.write(w + "/nan.safetensors", m, t)
PYEOF
expect_fail "the model's output is NaN" "$DEEPC" generate "$W/nan.safetensors" --prompt "The " --max-tokens 5

# F08: a BPE vocabulary over 8 MB in a model file is refused before it is
# parsed (a 67 MB one took 1 GB per load); the file case is in tests/bpe.sh
PYTHONPATH="$ST" "$PY" - "$W" <<'PYEOF'
import sys, st_edit
w = sys.argv[1]
m, t = st_edit.read(w + "/gpt.safetensors")
m["bpe_vocab"] = "{" + ",".join('"t%d":%d' % (i, i) for i in range(700000)) + "}"
m["bpe_merges"] = "#version: 0.2\n"
st_edit.write(w + "/bigbpe.safetensors", m, t)
PYEOF
expect_fail "metadata: bpe_vocab: 1" "$DEEPC" summary "$W/bigbpe.safetensors"
expect_fail "is at most 8 MB" "$DEEPC" summary "$W/bigbpe.safetensors"

# F13: generate --json writes valid JSON (UTF-8) whatever bytes the prompt
# or the tokens hold: a byte that is not UTF-8 becomes U+FFFD
"$DEEPC" generate "$W/gpt.safetensors" --prompt "$(printf 'caf\351 ')" --max-tokens 5 --json --samples 2 > "$W/gj.out" 2> /dev/null
"$PY" -c "
import json, sys
lines = open(sys.argv[1], 'rb').read().decode('utf-8').splitlines()  # strict: invalid UTF-8 raises
objs = [json.loads(l) for l in lines]
assert len(objs) == 2 and objs[0]['text'] == 'caf\ufffd ', objs" "$W/gj.out" > "$W/gj.err" 2>&1 && ok || bad "F13: generate --json: $(tail -2 "$W/gj.err")"

# F12: predict on a language model points to generate and eval instead of
# printing an argmax over steps x vocabulary as a class
expect_fail "is a language model (target=stream): continue a text with" "$DEEPC" predict "$W/gpt.safetensors" --text "The cat"
expect_fail "is a language model (target=stream)" "$DEEPC" predict "$W/gpt.safetensors" --data "$W/small.txt"

# F21: generate on a language model without --prompt says to give one
# F07: --samples N runs the shared prompt once and keeps one step's
# distribution per sample (every prompt position's, N times over, took
# 112 MB here and 2.9 GB for GPT-2's vocabulary); greedy samples agree
"$DEEPC" generate "$W/gpt.safetensors" --prompt "one two three fo" --max-tokens 6 --temperature 0 > "$W/g1.out" 2> /dev/null
"$DEEPC" generate "$W/gpt.safetensors" --prompt "one two three fo" --max-tokens 6 --temperature 0 --samples 3 --json > "$W/g3.out" 2> /dev/null
"$PY" -c "
import json, sys
one = open('$W/g1.out').read().rstrip('\\n')
rows = [json.loads(l) for l in open('$W/g3.out') if l.startswith('{')]
texts = [r['text'] + r['generated'] for r in rows if 'generated' in r]
sys.exit(0 if len(texts) == 3 and all(t == one for t in texts) else 1)" && ok || bad "F07: greedy --samples 3 differ from --samples 1: $(cat "$W/g1.out") / $(cat "$W/g3.out")"
rss=$("$PY" -c "
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 if r.returncode == 0 else -1)" \
  "$DEEPC" generate "$W/gpt.safetensors" --prompt "one two three fo" --max-tokens 2 --samples 4096)
if ldd "$DEEPC" | grep -q asan; then [ "$rss" -ge 0 ] && ok || bad "F07: --samples 4096 failed"  # ASan's own memory hides the figure
else [ "$rss" -ge 0 ] && [ "$rss" -lt 70 ] && ok || bad "F07: --samples 4096 of a 16-token context: $rss MB (112 before the fix)"; fi
expect_fail "is a language model: give --prompt TEXT" "$DEEPC" generate "$W/gpt.safetensors"
expect_fail "is a language model: give --prompt TEXT" "$DEEPC" generate "$W/gpt.safetensors" --out "$W/g.png"

# F24: a fixed-window language model (flatten, dense) asks for a whole window
printf 'input 8\nembedding 128 4\nflatten\ndense 1024\nreshape 8x128\nactivation softmax\nloss categorical_crossentropy\noptimizer adam\nfit epochs=1 steps_per_epoch=3 batch_size=8\ntext level=char lowercase=false oov=true num_words=128 maxlen=8 target=stream\n' > "$W/fw.dc"
"$DEEPC" train "$W/fw.dc" --data "$W/small.txt" --quiet --out "$W/fw.safetensors" > "$W/fw.out" 2>&1 && ok || bad "train a fixed-window LM: $(tail -2 "$W/fw.out")"
expect_fail "reads whole windows of 8 tokens" "$DEEPC" generate "$W/fw.safetensors" --prompt "abc" --max-tokens 3
"$DEEPC" generate "$W/fw.safetensors" --prompt "abcdefghij" --max-tokens 3 --quiet > /dev/null 2>&1 && ok || bad "F24: a whole window generates"

# F04: tokenizer train checks its outputs before training: a missing
# folder, existing files (only with --force), links and write-protected
# files (never)
mkdir -p "$W/tok"
"$DEEPC" tokenizer train "$W/small.txt" --vocab-size 300 --out "$W/tok" --quiet > "$W/tok.out" 2>&1 && [ -s "$W/tok/vocab.bpe" ] && ok \
  || bad "tokenizer train: $(tail -2 "$W/tok.out")"
cp "$W/tok/encoder.json" "$W/enc.keep"
expect_fail "encoder.json: exists and is not a file deepc can tell it wrote" "$DEEPC" tokenizer train "$W/small.txt" --vocab-size 280 --out "$W/tok"
cmp -s "$W/tok/encoder.json" "$W/enc.keep" && ok || bad "F04: encoder.json was replaced without --force"
"$DEEPC" tokenizer train "$W/small.txt" --vocab-size 280 --out "$W/tok" --force --quiet > /dev/null 2>&1 && ! cmp -s "$W/tok/encoder.json" "$W/enc.keep" \
  && ok || bad "F04: --force replaces the tokenizer"
expect_fail "the folder $W/none does not exist" "$DEEPC" tokenizer train "$W/small.txt" --vocab-size 300 --out "$W/none"
mkdir -p "$W/tok3" && printf 'precious' > "$W/victim" && ln -s "$W/victim" "$W/tok3/vocab.bpe"
expect_fail "vocab.bpe: is a symbolic link" "$DEEPC" tokenizer train "$W/small.txt" --vocab-size 300 --out "$W/tok3" --force
[ "$(cat "$W/victim")" = precious ] && ok || bad "F04: a link was written through"

# F18: tokenize of a folder is an error, not an empty line and exit 0
expect_fail "not a regular file" "$DEEPC" tokenize --vocab "$W/tok/encoder.json" --merges "$W/tok/vocab.bpe" "$W/tok"
expect_fail "not a regular file" "$DEEPC" tokenize --vocab "$W/tok/encoder.json" --merges "$W/tok/vocab.bpe" --decode "$W/tok"

# F17: --json on predict --text, tokenize (both ways) and tokenizer train:
# the last line is one JSON object naming its command (import-gpt2's is
# checked in tests/gpt2_import.sh)
"$DEEPC" predict "$W/t.safetensors" --text "q good fine" --json > "$W/pj.out" 2>&1 && last_json "$W/pj.out" predict && ok || bad "F17: predict --text --json: $(tail -2 "$W/pj.out")"
printf 'hello world' > "$W/hw.txt"
"$DEEPC" tokenize --vocab "$W/tok/encoder.json" --merges "$W/tok/vocab.bpe" "$W/hw.txt" --json > "$W/tj.out" 2>&1 && last_json "$W/tj.out" tokenize \
  && ok || bad "F17: tokenize --json: $(tail -2 "$W/tj.out")"
"$PY" -c "import json, sys; print(' '.join(map(str, json.loads(open(sys.argv[1]).read().splitlines()[-1])['ids'])))" "$W/tj.out" > "$W/hw.ids"
"$DEEPC" tokenize --vocab "$W/tok/encoder.json" --merges "$W/tok/vocab.bpe" --decode "$W/hw.ids" --json > "$W/td.out" 2>&1 && last_json "$W/td.out" tokenize \
  && [ "$(tail -n 1 "$W/td.out" | "$PY" -c "import json, sys; print(json.loads(sys.stdin.read())['text'])")" = "hello world" ] && ok \
  || bad "F17: tokenize --decode --json: $(tail -2 "$W/td.out")"
last_json "$W/gj.out" generate && ok || bad "F17: generate --json names its command: $(tail -1 "$W/gj.out")"
# F16 (part): cv of a text model says it takes tables, not "samples of 132 values"
expect_fail "cv: $W/t.dc is a text model" "$DEEPC" cv "$W/t.dc" --data "$W/t.csv" --folds 2
# F16 (rest): --limit trains on the first N samples (texts, tables and a
# stream's windows: it was ignored); a table's numeric options on a text
# model and a test split of a language model's stream are refused
"$DEEPC" train "$W/t.dc" --data "$W/t.csv" --limit 10 --epochs 1 --out "$W/lim.safetensors" > "$W/lim.out" 2>&1
grep -q "training on the first 10 of 104 training samples" "$W/lim.out" && grep -q "1/1 " "$W/lim.out" && ok || bad "F16: --limit 10 on texts: $(head -3 "$W/lim.out")"
printf 'input 4\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer sgd\nfit epochs=1 batch_size=4\n' > "$W/tab.dc"
"$DEEPC" train "$W/tab.dc" --data "$W/four.csv" --limit 8 --out "$W/tab.safetensors" > "$W/tab.out" 2>&1
grep -q "training on the first 8 of 16 training samples" "$W/tab.out" && grep -q "2/2 " "$W/tab.out" && ok || bad "F16: --limit 8 on a table: $(head -5 "$W/tab.out")"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --limit 50 --stop-after 1 --out "$W/glim.safetensors" > "$W/glim.out" 2>&1
grep -q "training on the first 50 of .* windows of the stream" "$W/glim.out" && ok || bad "F16: --limit 50 on a stream: $(head -3 "$W/glim.out")"
for o in "--scale standard" "--pca 2" "--missing mean"; do
  expect_fail "${o%% *}: $W/t.dc reads texts; ${o%% *} applies to numeric tables" "$DEEPC" train "$W/t.dc" --data "$W/t.csv" $o --out "$W/x.safetensors"
done
expect_fail "--test-split: $W/gpt.dc is a language model" "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --test-split 0.5 --out "$W/x.safetensors"
expect_fail "--stratify: $W/gpt.dc is a language model" "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --stratify --out "$W/x.safetensors"
mkdir -p "$W/tok4"
"$DEEPC" tokenizer train "$W/small.txt" --vocab-size 280 --out "$W/tok4" --json > "$W/tt.out" 2>&1 && last_json "$W/tt.out" "tokenizer train" \
  && ok || bad "F17: tokenizer train --json: $(tail -2 "$W/tt.out")"

finish redteam3
