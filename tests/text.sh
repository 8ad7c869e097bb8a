#!/bin/sh
# text.sh DEEPC WORKDIR SOURCE_DIR — a text classifier from the command
# line: a CSV of reviews (quoted, punctuated) through a description's text
# line (Keras tokenizer, pad_sequences), Embedding(mask_zero) → LSTM →
# Dense; the vocabulary and class names in the model file; eval on the
# CSV; predict --text on raw text, a file, stdin; bad input.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
"$PY" - "$W/reviews.csv" <<'PYEOF'
import random, sys
random.seed(4)
pos = "good great excellent lovely fine superb happy nice".split()
neg = "bad awful terrible poor sad horrible ugly nasty".split()
filler = "the a movie was and it film story plot acting really quite very i think".split()
rows = ["text,label"]
for i in range(600):
    lab = i % 2
    words = [random.choice(filler) for _ in range(random.randint(3, 14))]
    for _ in range(random.randint(1, 2)):
        words.insert(random.randrange(len(words) + 1), random.choice(pos if lab else neg))
    t = " ".join(words).capitalize() + random.choice([".", "!", ', "really".\nSecond line.'])
    rows.append('"%s",%s' % (t.replace('"', '""'), "pos" if lab else "neg"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
printf 'input 20\nembedding 100 16 mask_zero=true\nlstm 16\ndense 1 activation=sigmoid\nloss binary_crossentropy\noptimizer adam lr=0.01\nfit epochs=10 batch_size=32 seed=1\ntext column=text maxlen=20 num_words=100 oov=true\n' > "$W/rev.dc"
"$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --test-split 0.2 --stratify --json --out "$W/rev.safetensors" > "$W/train.out" 2>&1 \
  || bad "train a text model: $(tail -3 "$W/train.out")"
grep -q "600 texts, 2 classes; 480 training and 120 test rows (stratified); vocabulary" "$W/train.out" && ok || bad "text report: $(head -2 "$W/train.out")"
at_least "$(json_field "$W/train.out" "['test_accuracy']")" 0.95 && ok || bad "text test accuracy"
"$DEEPC" predict "$W/rev.safetensors" --text "What a lovely, SUPERB film" | grep -q '^"What a lovely, SUPERB film",pos,0\.[0-9]*$' && ok || bad "predict --text"
printf 'awful acting\nGreat story!\n' > "$W/two.txt"
[ "$("$DEEPC" predict "$W/rev.safetensors" --text @"$W/two.txt" --json | "$PY" -c "import json,sys; print(','.join(p['class'] for p in json.load(sys.stdin)['predictions']))")" = "neg,pos" ] && ok || bad "predict --text @FILE"
[ "$(printf 'nasty\n' | "$DEEPC" predict "$W/rev.safetensors" --text @- | sed -n 2p)" = "nasty,neg,$(printf 'nasty\n' | "$DEEPC" predict "$W/rev.safetensors" --text @- | sed -n 2p | cut -d, -f3)" ] && ok || bad "predict --text @-"
"$DEEPC" eval "$W/rev.safetensors" --data "$W/reviews.csv" --json > "$W/eval.out" 2>&1 && at_least "$(json_field "$W/eval.out" "['test_accuracy']")" 0.95 \
  && ok || bad "eval on the CSV of texts: $(tail -c 300 "$W/eval.out")"
# bad input: a row without text, a maxlen that is not the input's, a bad
# text line, an unknown class at eval, a damaged vocabulary, --text on a
# model that is not a text model
printf 'text,label\n"fine film",pos\n,neg\n' > "$W/notext.csv"
expect_fail "notext.csv:3: no text in column \"text\"" "$DEEPC" train "$W/rev.dc" --data "$W/notext.csv"
sed 's/maxlen=20/maxlen=30/' "$W/rev.dc" > "$W/len.dc"
expect_fail "maxlen=30 must be the input's length" "$DEEPC" train "$W/len.dc" --data "$W/reviews.csv"
sed 's/maxlen=20/maxlen=0/' "$W/rev.dc" > "$W/zero.dc"
expect_fail "zero.dc:8:25: maxlen 0 is outside" "$DEEPC" summary "$W/zero.dc"
sed 's/num_words=100/num_words=1/' "$W/rev.dc" > "$W/one.dc"
expect_fail "num_words=1 leaves no word" "$DEEPC" summary "$W/one.dc"
sed 's/level=word//; s/oov=true/level=bytes/' "$W/rev.dc" > "$W/lvl.dc"
expect_fail "level must be word, char or bpe" "$DEEPC" summary "$W/lvl.dc"
printf 'text,label\n"good",pos\n"bad",meh\n' > "$W/unknown.csv"
expect_fail "unknown.csv:3: class \"meh\" is not one of the model's" "$DEEPC" eval "$W/rev.safetensors" --data "$W/unknown.csv"
PYTHONPATH="$SRC/tests" "$PY" -c "
import st_edit
meta, t = st_edit.read('$W/rev.safetensors')
meta['vocabulary'] = meta['vocabulary'].replace('\n', '\n\n', 1)
st_edit.write('$W/badvocab.safetensors', meta, t)"
expect_fail "badvocab.safetensors: vocabulary token 2 is empty" "$DEEPC" summary "$W/badvocab.safetensors"
expect_fail "this model does not read text" "$DEEPC" predict "$SRC/tests/fixtures/v1_mlp.safetensors" --text "hello"
# a 5 MB text is cut to maxlen, not a problem
"$PY" -c "print('text,label'); print('\"' + 'good ' * 1000000 + '\",pos'); print('\"bad film\",neg')" > "$W/huge.csv"
"$DEEPC" eval "$W/rev.safetensors" --data "$W/huge.csv" > /dev/null 2>&1 && ok || bad "a 5 MB text"
# pooling over time (masked): Embedding -> GRU every step -> max over the
# real steps -> Dense; and the mean straight over the embedding
sed 's/^lstm 16$/gru 16 return_sequences=true\nglobal_max_pool1d/' "$W/rev.dc" > "$W/pool.dc"
sed 's/^lstm 16$/global_avg_pool1d/' "$W/rev.dc" > "$W/avg.dc"
for d in pool avg; do
  "$DEEPC" train "$W/$d.dc" --data "$W/reviews.csv" --test-split 0.2 --stratify --json --out "$W/$d.safetensors" > "$W/$d.out" 2>&1 \
    && at_least "$(json_field "$W/$d.out" "['test_accuracy']")" 0.9 && ok || bad "$d over time: $(tail -c 300 "$W/$d.out")"
done
expect_fail "global_max_pool1d: input has 1 dimensions per sample, needs (steps, features)" "$DEEPC" summary "$(printf 'input 8\nglobal_max_pool1d\n' > "$W/gp.dc"; echo "$W/gp.dc")"

# resume: a text run stopped part-way and resumed ends with the weights of
# the run that never stopped (same split, vocabulary and classes, read back
# from the model file); other options or other texts are refused
"$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --test-split 0.2 --stratify --epochs 3 --out "$W/whole.safetensors" --quiet \
  && { "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --test-split 0.2 --stratify --epochs 3 --stop-after 20 --out "$W/part.safetensors" --quiet 2> /dev/null; [ $? = 130 ]; } \
  && "$DEEPC" train --resume "$W/part.safetensors" --data "$W/reviews.csv" --out "$W/resumed.safetensors" --quiet \
  && PYTHONPATH="$SRC/tests" "$PY" -c "
import numpy as np, st_read
a = st_read.read('$W/whole.safetensors')[0]; b = st_read.read('$W/resumed.safetensors')[0]
assert all(np.array_equal(a[k], b[k]) for k in a if not k.startswith(('optimizer.', 'train.'))), 'weights differ'" \
  && ok || bad "a resumed text run equals the uninterrupted one"
expect_fail "--test-split 0.3: the run held out 0.2" "$DEEPC" train --resume "$W/part.safetensors" --data "$W/reviews.csv" --test-split 0.3
head -400 "$W/reviews.csv" > "$W/fewer.csv"
expect_fail "fewer.csv: these are not the texts the run trained on" "$DEEPC" train --resume "$W/part.safetensors" --data "$W/fewer.csv"

# transfer: --init-from copies what matches (and the vocabulary), --freeze
# keeps a layer exactly as loaded, gives it no optimizer state, and is
# saved; trainable=false in a description does the same
sed 's/lstm 16/gru 16/' "$W/rev.dc" > "$W/gru.dc"
"$DEEPC" train "$W/gru.dc" --data "$W/reviews.csv" --epochs 2 --init-from "$W/rev.safetensors" --freeze embedding \
    --out "$W/ft.safetensors" > "$W/ft.out" 2>&1 || bad "init-from + freeze: $(tail -3 "$W/ft.out")"
grep -q "^loaded:  embedding.weight" "$W/ft.out" && grep -q "^skipped: gru.weight_ih_l0 (not in the source model)" "$W/ft.out" \
  && grep -q "^frozen: embedding (1600 parameters)" "$W/ft.out" && grep -q "^Non-trainable params: 1600" "$W/ft.out" \
  && ok || bad "init-from / freeze report: $(head -20 "$W/ft.out")"
PYTHONPATH="$SRC/tests" "$PY" - "$W" <<'PYEOF' && ok || bad "frozen embedding, optimizer state, saved freeze"
import sys, numpy as np, st_read
w = sys.argv[1]
a, am = st_read.read(w + "/rev.safetensors")
b, bm = st_read.read(w + "/ft.safetensors")
assert np.array_equal(a["embedding.weight"], b["embedding.weight"]), "the frozen embedding changed"
assert not np.array_equal(a["dense.weight"], b["dense.weight"]), "dense (loaded, not frozen) did not train"
assert bm["frozen"] == "embedding", bm.get("frozen")
assert bm["vocabulary"] == am["vocabulary"], "the vocabulary was not handed on"
n = sum(v.size for k, v in b.items() if k.startswith(("gru.", "dense.")))
assert b["optimizer.state.0"].shape == (n,), (b["optimizer.state.0"].shape, n)
PYEOF
"$DEEPC" summary "$W/ft.safetensors" | grep -q "^Non-trainable params: 1600" && ok || bad "a loaded model keeps its frozen layers"
sed 's/^embedding 100 16 mask_zero=true$/embedding 100 16 mask_zero=true trainable=false/' "$W/rev.dc" > "$W/fz.dc"
"$DEEPC" train "$W/fz.dc" --data "$W/reviews.csv" --epochs 1 --init-from "$W/rev.safetensors" --out "$W/fz.safetensors" --quiet \
  && PYTHONPATH="$SRC/tests" "$PY" -c "
import numpy as np, st_read
a = st_read.read('$W/rev.safetensors')[0]; b = st_read.read('$W/fz.safetensors')[0]
assert np.array_equal(a['embedding.weight'], b['embedding.weight'])" && ok || bad "trainable=false"
expect_fail "freeze: no layer named \"nosuch\"" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --freeze nosuch
expect_fail "--init-from, --embeddings and --freeze start a run" "$DEEPC" train --resume "$W/ft.safetensors" --data "$W/reviews.csv" --freeze dense
expect_fail "trainable must be true or false" "$DEEPC" summary "$(sed 's/trainable=false/trainable=no/' "$W/fz.dc" > "$W/tf.dc"; echo "$W/tf.dc")"
sed 's/oov=true/oov=false/' "$W/rev.dc" > "$W/oov.dc"
expect_fail "its text line tokenizes otherwise" "$DEEPC" train "$W/oov.dc" --data "$W/reviews.csv" --init-from "$W/rev.safetensors"
# word vectors (GloVe's format): found words get their vectors, kept by
# --freeze; the rest are counted; bad files are errors with file and line
"$PY" - "$W" <<'PYEOF'
import sys
w = sys.argv[1]
rows = ["good " + " ".join("%.3f" % (0.01 * i) for i in range(16)),
        "zebra " + " ".join(["1"] * 16),
        "bad " + " ".join("%.3f" % (-0.02 * i) for i in range(16))]
open(w + "/glove.txt", "w").write("\n".join(rows) + "\n")
open(w + "/narrow.txt", "w").write("good 1 2 3\n")
open(w + "/nan.txt", "w").write("good " + " ".join(["1"] * 15) + " x1\n")
open(w + "/dup.txt", "w").write("\n".join(rows + [rows[0]]) + "\n")
PYEOF
"$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --epochs 1 --embeddings "$W/glove.txt" --freeze embedding --out "$W/glove.safetensors" > "$W/glove.out" 2>&1 \
  && grep -q "^embeddings: 2 of [0-9]* vocabulary words found in .*glove.txt (3 vectors of 16); [0-9]* initialised as usual" "$W/glove.out" \
  && PYTHONPATH="$SRC/tests" "$PY" -c "
import numpy as np, st_read
t, meta = st_read.read('$W/glove.safetensors')
voc = meta['vocabulary'].split('\n')
e = t['embedding.weight']
assert np.allclose(e[voc.index('good') + 2], 0.01 * np.arange(16), atol=1e-6), e[voc.index('good') + 2]  # 0 padding, 1 OOV
assert np.allclose(e[voc.index('bad') + 2], -0.02 * np.arange(16), atol=1e-6)" && ok || bad "--embeddings: $(grep -i embeddings "$W/glove.out")"
expect_fail "narrow.txt:1: 3 numbers after \"good\"; the embedding is 16 wide" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --embeddings "$W/narrow.txt"
expect_fail "nan.txt:1:36: \"x1\" is not a finite number" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --embeddings "$W/nan.txt"
printf 'good inf%s\n' "$(printf ' 1%.0s' $(seq 15))" > "$W/inf.txt"
expect_fail "inf.txt:1:6: \"inf" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --embeddings "$W/inf.txt"
expect_fail "dup.txt:4: \"good\" again (first on line 1)" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --embeddings "$W/dup.txt"
expect_fail "nosuch.txt: No such file" "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --embeddings "$W/nosuch.txt"

# a folder of texts (Keras' text_dataset_from_directory): one subfolder
# per class of .txt files; eval reads the same layout
"$PY" - "$W/folder" "$W/reviews.csv" <<'PYEOF'
import csv, os, sys
root = sys.argv[1]
for i, r in enumerate(csv.DictReader(open(sys.argv[2]))):
    os.makedirs(os.path.join(root, r["label"]), exist_ok=True)
    open(os.path.join(root, r["label"], "%03d.txt" % i), "w").write(r["text"])
PYEOF
"$DEEPC" train "$W/rev.dc" --data "$W/folder" --test-split 0.2 --stratify --json --out "$W/folder.safetensors" > "$W/folder.out" 2>&1 \
  && grep -q "folder: 600 texts, 2 classes; 480 training and 120 test rows (stratified)" "$W/folder.out" \
  && at_least "$(json_field "$W/folder.out" "['test_accuracy']")" 0.95 && ok || bad "train on a folder of texts: $(tail -c 300 "$W/folder.out")"
"$DEEPC" eval "$W/folder.safetensors" --data "$W/folder" --json > "$W/feval.out" 2>&1 && at_least "$(json_field "$W/feval.out" "['test_accuracy']")" 0.95 \
  && ok || bad "eval on a folder of texts"
: > "$W/folder/pos/empty.txt"
expect_fail "folder/pos/empty.txt: an empty text" "$DEEPC" train "$W/rev.dc" --data "$W/folder"
mkdir -p "$W/one/only" && echo "hello" > "$W/one/only/a.txt"
expect_fail "1 class subfolders; a folder of texts needs one per class, at least two" "$DEEPC" train "$W/rev.dc" --data "$W/one"

# a language model (target=next): Dense at every step, per-token loss,
# token accuracy and perplexity; its embedding and LSTM start a classifier
printf 'input 20\nembedding 100 16 mask_zero=true\nlstm 16 return_sequences=true\ndense 100 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=4 batch_size=32 seed=1\ntext column=text maxlen=20 num_words=100 oov=true target=next\n' > "$W/lm.dc"
"$DEEPC" train "$W/lm.dc" --data "$W/reviews.csv" --json --out "$W/lm.safetensors" > "$W/lm.out" 2>&1 || bad "train a language model: $(tail -3 "$W/lm.out")"
"$PY" -c "
import json; h = json.loads(open('$W/lm.out').read().strip().splitlines()[-1])['history']
assert h[-1]['loss'] < 0.8 * h[0]['loss'], [e['loss'] for e in h]" && ok || bad "the language model's loss falls"
"$DEEPC" eval "$W/lm.safetensors" --data "$W/reviews.csv" | grep -q "token accuracy: 0\.[0-9]* - perplexity: [0-9.]*$" && ok || bad "LM eval: perplexity"
"$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --epochs 1 --init-from "$W/lm.safetensors" --out "$W/from_lm.safetensors" > "$W/from_lm.out" 2>&1 \
  && grep -q "^init-from: 5 tensors loaded" "$W/from_lm.out" && grep -q "^skipped: dense.weight (shape (1, 16) here, (100, 16) there)" "$W/from_lm.out" \
  && ok || bad "classifier from the language model: $(grep -E 'init|skipped' "$W/from_lm.out")"
"$PY" -c "
import csv; open('$W/lines.txt', 'w').write('\n\n'.join(r['text'].replace('\n', ' ') for r in csv.DictReader(open('$W/reviews.csv'))))"
"$DEEPC" train "$W/lm.dc" --data "$W/lines.txt" --epochs 1 --out "$W/lm_txt.safetensors" > "$W/lm_txt.out" 2>&1 \
  && grep -q "lines.txt: 600 texts" "$W/lm_txt.out" && ok || bad "a language model on a plain text file: $(tail -2 "$W/lm_txt.out")"
expect_fail "lines.txt: a plain text file has no labels" "$DEEPC" train "$W/rev.dc" --data "$W/lines.txt"
expect_fail "target must be label (a class per text), next" "$DEEPC" summary "$(sed 's/target=next/target=prev/' "$W/lm.dc" > "$W/tn.dc"; echo "$W/tn.dc")"
finish text
