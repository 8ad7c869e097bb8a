#!/bin/sh
# cli_answers.sh DEEPC WORKDIR SOURCE_DIR — the command line's answers are
# the ones a user can trust (issue 16, part 2):
#  - eval on the file a model was trained on scores the rows the run held
#    out (the split is in the model file) and says so; --all-rows scores
#    every row; another file is scored whole;
#  - a linear head under cross-entropy (dense 3, no softmax; binary: dense 1,
#    no sigmoid) reports probabilities: eval's log loss is its loss, predict's
#    p_* are in [0, 1] and sum to 1, and they match PyTorch's softmax/sigmoid;
#  - a cosine schedule takes its length from the run (t_max=auto): a run
#    shortened with --epochs/--steps-per-epoch still ends at eta_min;
#  - a vocabulary that leaves more than 2% of the tokens out says so;
#    `embedding auto` (and `dense auto tie=`) size the model to the fitted
#    vocabulary instead, through training, summary, generate and resume;
#  - --validation-steps N (validation_steps= in the fit line) validates on
#    the first N batches only;
#  - eval's report: an AUC per class, full class names in the table and the
#    confusion matrix, no top-k line when k covers every class; --plot
#    draws the ROC curves and the confusion matrix as an SVG;
#  - predict on an autoencoder asks for --latent (a VAE's mean, checked
#    against numpy; an autoencoder's bottleneck), --reconstruction or --layer,
#    instead of an argmax over pixels;
#  - --drop leaves columns out of the features; deepc transform writes the
#    table as the model sees it (fitted here, or a model's stored pipeline);
#  - --steps-per-epoch above one pass trains several passes (every batch
#    full, another order each pass), and a run stopped in its second pass
#    resumes to the same bits;
#  - deepc export --weights-only --names torch: torch.nn.Sequential's
#    load_state_dict(strict=True) takes the file and predicts as deepc does;
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
SK=$(sh "$SRC/scripts/tables.sh" "$W/data") || bad "no tables"
WINE="$SK/wine_data.csv --skip-rows 1 --no-header"

# eval on the training file: the held-out rows, the numbers train reported
"$DEEPC" train "$SRC/models/wine.dc" --data $WINE --test-split 0.2 --stratify --epochs 20 --out "$W/wine.safetensors" > "$W/wine.out" 2>&1 \
  || bad "train wine: $(tail -2 "$W/wine.out")"
"$DEEPC" eval "$W/wine.safetensors" --data $WINE > "$W/ev.out" 2>&1
grep -q "the 36 rows the run held out (test split 0.2 of 178" "$W/ev.out" && ok || bad "eval names the held-out part: $(head -2 "$W/ev.out")"
want=$(sed -n 's/^Test accuracy: \([0-9.]*\).*/\1/p' "$W/wine.out")
got=$(sed -n 's/^36 samples - loss: [0-9.]* - accuracy: \([0-9.]*\).*/\1/p' "$W/ev.out")
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval's held-out accuracy '$got' is not train's test accuracy '$want'"
"$DEEPC" eval "$W/wine.safetensors" --data $WINE --json > "$W/evj.out" 2>&1
[ "$(json_field "$W/evj.out" "['samples']")" = 36 ] && [ "$(json_field "$W/evj.out" "['rows']")" = held_out ] && ok || bad "eval --json: $(tail -1 "$W/evj.out")"
"$DEEPC" eval "$W/wine.safetensors" --data $WINE --all-rows --json > "$W/eva.out" 2>&1
[ "$(json_field "$W/eva.out" "['samples']")" = 178 ] && [ "$(json_field "$W/eva.out" "['rows']")" = all ] && ok || bad "eval --all-rows: $(tail -1 "$W/eva.out")"
# another file (the first 100 rows): every row is scored
head -n 101 "$SK/wine_data.csv" > "$W/wine100.csv"
"$DEEPC" eval "$W/wine.safetensors" --data "$W/wine100.csv" --skip-rows 1 --no-header --json > "$W/ev100.out" 2>&1
[ "$(json_field "$W/ev100.out" "['samples']")" = 100 ] && [ "$(json_field "$W/ev100.out" "['rows']")" = all ] && ok || bad "eval on another file: $(tail -1 "$W/ev100.out")"

# the same for a CSV of texts
"$PY" - "$W/t.csv" <<'PYEOF'
import random, sys
random.seed(3)
good, bad = "good fine great nice happy".split(), "bad poor awful sad ugly".split()
rows = ["text,label"]
for i in range(160):
    pos = i % 2 == 0
    words = random.sample(good if pos else bad, 1) + random.sample(good + bad, 3)
    rows.append('"%s",%s' % (" ".join(words), "pos" if pos != (random.random() < 0.1) else "neg"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
printf 'input 8\nembedding 50 8\nflatten\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.01\nfit epochs=5 batch_size=16 seed=1\ntext column=text maxlen=8\n' > "$W/t.dc"
"$DEEPC" train "$W/t.dc" --data "$W/t.csv" --test-split 0.25 --out "$W/t.safetensors" > "$W/t.out" 2>&1 || bad "train texts: $(tail -2 "$W/t.out")"
"$DEEPC" eval "$W/t.safetensors" --data "$W/t.csv" --json > "$W/tev.out" 2>&1
[ "$(json_field "$W/tev.out" "['samples']")" = 40 ] && [ "$(json_field "$W/tev.out" "['rows']")" = held_out ] && ok || bad "texts: eval on the held-out part: $(tail -1 "$W/tev.out")"
want=$(sed -n 's/^Test accuracy: [0-9.]* - test loss: \([0-9.]*\).*/\1/p' "$W/t.out")
"$PY" -c "import sys; sys.exit(0 if abs(float('$want') - float('$(json_field "$W/tev.out" "['test_loss']")')) < 1e-4 else 1)" 2>/dev/null && ok \
  || bad "texts: eval's loss is not train's test loss $want: $(tail -c 200 "$W/tev.out")"
"$DEEPC" eval "$W/t.safetensors" --data "$W/t.csv" --all-rows --json > "$W/teva.out" 2>&1
[ "$(json_field "$W/teva.out" "['samples']")" = 160 ] && ok || bad "texts: --all-rows: $(tail -1 "$W/teva.out")"

# a linear head: probabilities, not logits
sed 's/^dense 3 activation=softmax/dense 3/' "$SRC/models/wine.dc" > "$W/wine_lin.dc"
grep -q "^dense 3$" "$W/wine_lin.dc" && ok || bad "wine.dc's head is not 'dense 3 activation=softmax'"
"$DEEPC" train "$W/wine_lin.dc" --data $WINE --test-split 0.2 --stratify --epochs 20 --quiet --out "$W/lin.safetensors" > "$W/lin.out" 2>&1 || bad "train linear: $(tail -2 "$W/lin.out")"
"$DEEPC" eval "$W/lin.safetensors" --data $WINE --json > "$W/lin_ev.out" 2>&1
"$PY" -c "import sys; sys.exit(0 if abs($(json_field "$W/lin_ev.out" "['test_loss']") - $(json_field "$W/lin_ev.out" "['log_loss']")) < 1e-4 else 1)" \
  && ok || bad "linear head: eval's log loss is not its loss: $(tail -c 300 "$W/lin_ev.out")"
sed -n '2,11p' "$SK/wine_data.csv" | cut -d, -f1-13 > "$W/rows.csv"
"$DEEPC" predict "$W/lin.safetensors" --data "$W/rows.csv" --no-header --skip-rows 0 --probabilities > "$W/lin_pred.out" 2>&1 || bad "predict linear: $(cat "$W/lin_pred.out")"
(cd "$SRC/tests" && "$PY" - "$W/lin.safetensors" "$W/rows.csv" "$W/lin_pred.out" "$SK/wine_data.csv" <<'PYEOF'
# PyTorch's softmax of the head's logits, through the stored pipeline's scaling (none here)
import csv, sys, torch
from st_read import read
t, _ = read(sys.argv[1])
x = torch.tensor([[float(v) for v in r] for r in csv.reader(open(sys.argv[2]))])
ws = sorted(k for k in t if k.endswith('.weight'))
h = torch.relu(x @ torch.tensor(t[ws[0]]).T + torch.tensor(t[ws[0][:-6] + 'bias']))
p = torch.softmax(h @ torch.tensor(t[ws[1]]).T + torch.tensor(t[ws[1][:-6] + 'bias']), 1)
rows = [r for r in csv.reader(open(sys.argv[3]))][1:]
got = torch.tensor([[float(v) for v in r[-3:]] for r in rows])
ok = got.shape == p.shape and float((got - p).abs().max()) < 1e-4 and float((got.sum(1) - 1).abs().max()) < 1e-4
print('max |deepc - torch.softmax|:', float((got - p).abs().max()) if got.shape == p.shape else got.shape)
sys.exit(0 if ok else 1)
PYEOF
) > "$W/lin_check.out" 2>&1 && ok || bad "linear head: predict's probabilities: $(cat "$W/lin_check.out")"

# t_max=auto: char_gpt.dc's cosine follows a shortened run down to eta_min
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null && head -c 8000 "$W/fortunes.txt" > "$W/small.txt"
sed -e 's/^input 128/input 16/; s/embedding 128 128/embedding 128 16/; s/repeat 4/repeat 1/; s/maxlen=128/maxlen=16/' \
    -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.1/; s/warmup=100/warmup=2/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
grep -q "^schedule cosine per=step warmup=2 warmup_start=0.01 eta_min=0.0001$" "$W/gpt.dc" && ok || bad "char_gpt.dc's schedule: $(grep schedule "$W/gpt.dc")"
"$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --epochs 2 --steps-per-epoch 10 --log "$W/lr.csv" --out "$W/gpt.safetensors" > "$W/gpt.out" 2>&1 \
  || bad "train the GPT: $(tail -2 "$W/gpt.out")"
"$PY" -c "
import csv, sys
rows = list(csv.DictReader(open('$W/lr.csv')))
first, last = float(rows[0]['lr']), float(rows[-1]['lr'])
sys.exit(0 if len(rows) == 2 and abs(last - 1e-4) < 1e-7 and first > 3e-4 else 1)" && ok || bad "t_max=auto: the lr does not reach eta_min at the run's end: $(cat "$W/lr.csv")"
printf 'schedule cosine t_max=aut\n' | cat "$W/gpt.dc" - | grep -v "^schedule cosine per" > "$W/bad_tmax.dc"
expect_fail 't_max' "$DEEPC" train "$W/bad_tmax.dc" --data "$W/small.txt" --out "$W/x.safetensors"

# 600 distinct characters through num_words=128: the share out of the vocabulary is reported
"$PY" -c "
import random; random.seed(1)
chars = [chr(0x4e00 + i) for i in range(600)]
open('$W/zh.txt', 'w').write(''.join(random.choice(chars) for _ in range(20000)))"
"$DEEPC" train "$W/gpt.dc" --data "$W/zh.txt" --stop-after 1 --out "$W/zh.safetensors" > "$W/zh.out" 2>&1
grep -q "zh.txt: warning: 7[0-9.]*% of the tokens are out of the vocabulary (num_words=128 keeps 126 of the 600 distinct characters seen)" "$W/zh.out" \
  && ok || bad "no OOV warning: $(head -3 "$W/zh.out")"
grep -q "out of the vocabulary" "$W/gpt.out" && bad "an OOV warning on English text: $(head -3 "$W/gpt.out")" || ok
sed -e 's/embedding 128 16/embedding auto 16/; s/dense 128 tie=wte/dense auto tie=wte/; s/num_words=128 //' "$W/gpt.dc" > "$W/gauto.dc"
"$DEEPC" train "$W/gauto.dc" --data "$W/zh.txt" --epochs 1 --steps-per-epoch 2 --out "$W/gauto.safetensors" > "$W/gauto.out" 2>&1 || bad "embedding auto: $(tail -3 "$W/gauto.out")"
grep -q "^embedding auto: 602 rows, the vocabulary's size$" "$W/gauto.out" && ! grep -q "out of the vocabulary" "$W/gauto.out" && ok || bad "embedding auto: $(head -4 "$W/gauto.out")"
"$DEEPC" summary "$W/gauto.safetensors" | grep -q "^ wte (Embedding) .* 9632 *$" && ok || bad "embedding auto: the saved model's table: $("$DEEPC" summary "$W/gauto.safetensors" 2>&1 | grep -i "wte\|error")"
"$DEEPC" generate "$W/gauto.safetensors" --prompt "$(head -c 6 "$W/zh.txt")" --max-tokens 3 > /dev/null 2>&1 && ok || bad "generate from an embedding auto model"
"$DEEPC" train --resume "$W/gauto.safetensors" --data "$W/zh.txt" --epochs 2 --quiet --force --out "$W/gauto.safetensors" > "$W/gauto2.out" 2>&1 && ok || bad "resume embedding auto: $(tail -2 "$W/gauto2.out")"
expect_fail "'embedding auto' takes its size from the text line's vocabulary" "$DEEPC" summary "$W/gauto.dc"

# --validation-steps 1: one batch of the held-out tail (two without it), here or in the fit line
vl() { "$DEEPC" train "$1" --data "$W/small.txt" --epochs 1 --steps-per-epoch 3 --quiet --out "$W/v.safetensors" --json $2 | tail -1 | "$PY" -c "import json,sys; print(json.load(sys.stdin)['history'][0]['val_loss'])"; }
all=$(vl "$W/gpt.dc" ""); one=$(vl "$W/gpt.dc" "--validation-steps 1")
sed 's/^fit \(.*\)$/fit \1 validation_steps=1/' "$W/gpt.dc" > "$W/gpt_vs.dc"
inline=$(vl "$W/gpt_vs.dc" "")
[ -n "$all" ] && [ -n "$one" ] && [ "$all" != "$one" ] && [ "$one" = "$inline" ] && ok || bad "--validation-steps: all $all, one batch $one, validation_steps=1 $inline"

# eval's report with long class names; --plot
"$PY" - "$SK/iris.csv" "$W/iris_long.csv" <<'PYEOF'
import csv, sys
names = ["setosa of the northern meadows", "versicolor", "virginica (southern variety)"]
rows = list(csv.reader(open(sys.argv[1])))[1:]
with open(sys.argv[2], "w") as f:
    f.write("a,b,c,d,species\n")
    for r in rows: f.write(",".join(r[:4]) + ',"' + names[int(r[4])] + '"\n')
PYEOF
printf 'input auto\ndense 8 activation=relu\ndense 3 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.02\nfit epochs=30 batch_size=16 seed=1\n' > "$W/iris.dc"
"$DEEPC" train "$W/iris.dc" --data "$W/iris_long.csv" --test-split 0.3 --stratify --scale standard --quiet --out "$W/iris.safetensors" > "$W/iris.out" 2>&1 || bad "train iris: $(tail -2 "$W/iris.out")"
"$DEEPC" eval "$W/iris.safetensors" --data "$W/iris_long.csv" --plot "$W/report.svg" > "$W/iris_ev.out" 2>&1 || bad "eval --plot: $(tail -2 "$W/iris_ev.out")"
grep -q "^ *class  *precision  *recall  *f1-score  *auc  *support$" "$W/iris_ev.out" && ok || bad "no auc column: $(grep class "$W/iris_ev.out")"
grep -q "^setosa of the northern meadows  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[01]\.[0-9]*  *15$" "$W/iris_ev.out" && ok || bad "per-class row with its AUC: $(cat "$W/iris_ev.out")"
grep -q "  setosa of the northern meadows  *versicolor  *virginica (southern variety)$" "$W/iris_ev.out" && ok || bad "the matrix header cuts names: $(grep -A1 'confusion matrix' "$W/iris_ev.out")"
grep -q "top-" "$W/iris_ev.out" && bad "a top-5 line for 3 classes" || ok
"$PY" -c "
import sys, xml.dom.minidom as x
d = x.parse('$W/report.svg')
lines = d.getElementsByTagName('polyline'); texts = ' '.join(t.firstChild.data for t in d.getElementsByTagName('text') if t.firstChild)
sys.exit(0 if len(lines) == 3 and 'setosa of the northern meadows: AUC' in texts and 'confusion matrix' in texts else 1)" && ok || bad "eval --plot: not the SVG expected"
grep -q "top-2" "$W/tev.out" && bad "top-2 for two classes" || ok
expect_fail "--plot: the picture is of a classification" "$DEEPC" eval "$W/gpt.safetensors" --data "$W/small.txt" --plot "$W/x.svg"

# an autoencoder: the code, the reconstruction or a layer, not a class
"$DEEPC" train "$SRC/models/fashion_vae.dc" --data fashion-mnist --limit 64 --epochs 1 --quiet --out "$W/vae.safetensors" > "$W/vae.out" 2>&1 || bad "train a VAE: $(tail -2 "$W/vae.out")"
expect_fail 'reconstructs its input (an autoencoder): its output is not a class. Give --latent (the code, layer "mu")' "$DEEPC" predict "$W/vae.safetensors" --data fashion-mnist --limit 3
"$DEEPC" predict "$W/vae.safetensors" --data fashion-mnist --limit 5 --latent > "$W/mu.csv" 2>&1 || bad "predict --latent: $(cat "$W/mu.csv")"
(cd "$SRC/tests" && "$PY" - "$W/vae.safetensors" "$W/mu.csv" <<'PYEOF'
import csv, gzip, sys
import numpy as np
from st_read import read
t, _ = read(sys.argv[1])
rows = list(csv.reader(open(sys.argv[2])))
assert rows[0] == ["input", "mu_0", "mu_1"], rows[0]
got = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
x = np.frombuffer(raw[16:16 + 5 * 784], dtype=np.uint8).reshape(5, 784).astype(np.float32) / 255
h = np.maximum(x @ t["encoder.weight"].T + t["encoder.bias"], 0)
mu = h @ t["mu.weight"].T + t["mu.bias"]
assert np.abs(mu - got).max() < 1e-4, np.abs(mu - got).max()
PYEOF
) > "$W/mu.check" 2>&1 && ok || bad "predict --latent is not the VAE's mean: $(cat "$W/mu.check")"
"$DEEPC" predict "$W/vae.safetensors" --data fashion-mnist --limit 2 --reconstruction --json > "$W/rec.out" 2>&1
[ "$(json_field "$W/rec.out" "['predictions'][1]['values'].__len__()")" = 784 ] && ok || bad "predict --reconstruction: $(tail -c 200 "$W/rec.out")"
"$DEEPC" train "$SRC/models/fashion_ae.dc" --data fashion-mnist --limit 64 --epochs 1 --quiet --out "$W/ae.safetensors" > "$W/ae.out" 2>&1 || bad "train an AE: $(tail -2 "$W/ae.out")"
"$DEEPC" predict "$W/ae.safetensors" --data fashion-mnist --limit 2 --latent | head -1 | grep -q "^input,code_0,.*,code_31$" && ok || bad "the AE's code layer: $("$DEEPC" predict "$W/ae.safetensors" --data fashion-mnist --limit 2 --latent 2>&1 | head -1 | cut -c1-100)"
expect_fail 'no layer named "nope"' "$DEEPC" predict "$W/ae.safetensors" --data fashion-mnist --limit 2 --layer nope

# --drop and deepc transform
printf 'id,size,color,y\n1,1.0,red,a\n2,2.0,blue,b\n3,3.5,red,a\n4,0.5,green,b\n5,1.5,blue,a\n6,2.5,green,b\n7,3.0,red,a\n8,0.7,blue,b\n' > "$W/tr.csv"
"$DEEPC" transform --data "$W/tr.csv" --drop id --scale minmax --out "$W/tr_fit.csv" > "$W/tr.out" 2>&1 || bad "transform: $(cat "$W/tr.out")"
[ "$(head -1 "$W/tr_fit.csv")" = "size,color=blue,color=green,color=red,y" ] && [ "$(sed -n 2p "$W/tr_fit.csv")" = "0.166666672,0,0,1,a" ] && ok || bad "transform --drop id --scale minmax: $(head -3 "$W/tr_fit.csv")"
printf 'input auto\ndense 2 activation=softmax\nloss categorical_crossentropy\noptimizer sgd\nfit epochs=1 batch_size=4\n' > "$W/tr.dc"
"$DEEPC" train "$W/tr.dc" --data "$W/tr.csv" --drop id --scale minmax --quiet --out "$W/tr.safetensors" > "$W/trt.out" 2>&1 || bad "train --drop: $(cat "$W/trt.out")"
"$DEEPC" summary "$W/tr.safetensors" | grep -q "^Total params: 10 " && ok || bad "--drop id: the model has other than 4 inputs: $("$DEEPC" summary "$W/tr.safetensors" | grep Total)"
"$DEEPC" transform "$W/tr.safetensors" --data "$W/tr.csv" > "$W/tr_model.csv" 2>&1
cmp -s "$W/tr_model.csv" "$W/tr_fit.csv" && ok || bad "transform with the model's pipeline differs: $(diff "$W/tr_model.csv" "$W/tr_fit.csv" | head -4)"
expect_fail '--drop: no column "nope"' "$DEEPC" transform --data "$W/tr.csv" --drop nope
expect_fail '--drop: "y" is the label column' "$DEEPC" train "$W/tr.dc" --data "$W/tr.csv" --drop y --out "$W/x.safetensors"

# export the weights for PyTorch
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 500 --epochs 1 --quiet --out "$W/mlp.safetensors" > "$W/mlp.out" 2>&1 || bad "train the MLP: $(tail -2 "$W/mlp.out")"
"$DEEPC" export "$W/mlp.safetensors" --format safetensors --weights-only --names torch --out "$W/mlp_torch.safetensors" > "$W/exp.out" 2>&1 || bad "export: $(cat "$W/exp.out")"
"$DEEPC" predict "$W/mlp.safetensors" --data fashion-mnist --limit 5 --probabilities > "$W/mlp_pred.csv" 2>&1
(cd "$SRC/tests" && "$PY" - "$W/mlp_torch.safetensors" "$W/mlp_pred.csv" <<'PYEOF'
import csv, gzip, sys
import numpy as np, torch
from st_read import read
t, meta = read(sys.argv[1])
assert sorted(t) == ["1.bias", "1.weight", "3.bias", "3.weight"], sorted(t)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10), torch.nn.Softmax(1))
net.load_state_dict({k: torch.tensor(v) for k, v in t.items()}, strict=True)
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
x = torch.tensor(np.frombuffer(raw[16:16 + 5 * 784], dtype=np.uint8).reshape(5, 28, 28).astype(np.float32) / 255)
p = net(x).detach().numpy()
got = np.array([[float(v) for v in r[3:]] for r in list(csv.reader(open(sys.argv[2])))[1:]])
assert np.abs(p - got).max() < 1e-5, np.abs(p - got).max()
PYEOF
) > "$W/exp.check" 2>&1 && ok || bad "the exported weights in torch.nn.Sequential: $(cat "$W/exp.check")"
# a CNN with batch normalization: torch's BatchNorm2d wants num_batches_tracked too
printf 'input 1x28x28\nconv2d 8 kernel=3\nbatchnorm\nactivation relu\nmaxpool2d 2\nflatten\ndense 10 activation=softmax\nfit epochs=1 batch_size=32\n' > "$W/bn.dc"
"$DEEPC" train "$W/bn.dc" --data fashion-mnist --limit 256 --quiet --out "$W/bn.safetensors" > "$W/bn.out" 2>&1 || bad "train the BN CNN: $(tail -2 "$W/bn.out")"
"$DEEPC" export "$W/bn.safetensors" --format safetensors --weights-only --names torch --out "$W/bn_torch.safetensors" > /dev/null 2>&1
"$DEEPC" predict "$W/bn.safetensors" --data fashion-mnist --limit 5 --probabilities > "$W/bn_pred.csv" 2>&1
(cd "$SRC/tests" && "$PY" - "$W/bn_torch.safetensors" "$W/bn_pred.csv" <<'PYEOF'
import csv, gzip, sys
import numpy as np, torch
from st_read import read
t, _ = read(sys.argv[1])
nn = torch.nn
net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10), nn.Softmax(1))
net.load_state_dict({k: torch.tensor(np.array(v)) for k, v in t.items()}, strict=True)
net.eval()
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
x = torch.tensor(np.frombuffer(raw[16:16 + 5 * 784], dtype=np.uint8).reshape(5, 1, 28, 28).astype(np.float32) / 255)
p = net(x).detach().numpy()
got = np.array([[float(v) for v in r[3:]] for r in list(csv.reader(open(sys.argv[2])))[1:]])
assert np.abs(p - got).max() < 1e-4, np.abs(p - got).max()
PYEOF
) > "$W/bn.check" 2>&1 && ok || bad "a BN CNN's exported weights in torch.nn.Sequential: $(tail -3 "$W/bn.check")"
expect_fail "deepc exports onnx, c, or safetensors" "$DEEPC" export "$W/mlp.safetensors" --format tflite --out "$W/x.tflite"  # (ONNX, C: tests/onnx_export.sh, c_export.sh)
expect_fail "add --weights-only" "$DEEPC" export "$W/mlp.safetensors" --format safetensors --out "$W/x.safetensors"

# --steps-per-epoch 20 on 142 rows in batches of 16 (9 a pass): 20 steps, resumable mid-way
"$DEEPC" train "$SRC/models/wine.dc" --data $WINE --test-split 0.2 --stratify --epochs 2 --steps-per-epoch 20 --out "$W/sp.safetensors" > "$W/sp.out" 2>&1 \
  || bad "--steps-per-epoch 20: $(tail -2 "$W/sp.out")"
[ "$(grep -c "^Epoch [12]/2 - 20/20 " "$W/sp.out")" = 2 ] && ok || bad "an epoch of 20 steps (more than one pass): $(grep Epoch "$W/sp.out" | head -2)"
"$DEEPC" train "$SRC/models/wine.dc" --data $WINE --test-split 0.2 --stratify --epochs 2 --steps-per-epoch 20 --stop-after 13 --quiet --out "$W/sp2.safetensors" > /dev/null 2>&1
"$DEEPC" train --resume "$W/sp2.safetensors" --data $WINE --quiet --force --out "$W/sp2.safetensors" > "$W/sp2.out" 2>&1 || bad "resume in the second pass: $(tail -2 "$W/sp2.out")"
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests'); from st_read import read
a, _ = read('$W/sp.safetensors'); b, _ = read('$W/sp2.safetensors')
w = [k for k in a if k.startswith('dense')]
sys.exit(0 if w and all((a[k] == b[k]).all() for k in w) else 1)" && ok || bad "a run stopped in its second pass resumes to other weights"

finish cli_answers
