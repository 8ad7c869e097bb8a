#!/bin/sh
# redteam3.sh DEEPC WORKDIR SOURCE_DIR — the third red team's crafted
# inputs (../shared/redteam3, issue 16), each fixed one a regression test:
#  - F01 a model file whose vocabulary and class names are all %-escapes
#    loads in linear time (sscanf measured the rest of the string per escape);
#  - F03 a model file of many tensors opens in linear time (a scan per tensor);
#  - F22 GloVe values that underflow float load (1e-39 is a subnormal),
#    overflow says "out of float range";
#  - F23 freezing every layer says so before training.
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

# F22: GloVe vectors with float subnormals and underflow load; overflow is named
printf 'good 1e-39 0.1 0.2 0.3\nbad 1e-50 -0.1 0.2 0.3\n' > "$W/sub.txt"
printf 'good 1e39 0.1 0.2 0.3\n' > "$W/over.txt"
"$DEEPC" train "$W/t.dc" --data "$W/t.csv" --embeddings "$W/sub.txt" --quiet --out "$W/sub.safetensors" > "$W/sub.out" 2>&1 && ok \
  || bad "F22: subnormal embedding values: $(tail -2 "$W/sub.out")"
expect_fail 'over.txt:1:6: "1e39 0.1 0.2 0.3" is out of float range' "$DEEPC" train "$W/t.dc" --data "$W/t.csv" --embeddings "$W/over.txt" --out "$W/x.safetensors"

# F23: every layer frozen: said before a step, not by the backward
expect_fail "every layer with parameters is frozen: nothing to train" "$DEEPC" train "$W/t.dc" --data "$W/t.csv" --freeze embedding,dense --out "$W/x.safetensors"

finish redteam3
