#!/bin/sh
# distill.sh DEEPC WORKDIR SOURCE_DIR [full|short] — deepc distill (issue 17):
#  - a Dense 32 student from a Fashion CNN teacher: the soft term shows in
#    progress as its own part, the student saves, evaluates, resumes;
#    alpha 0 is exactly the student trained alone (the same file);
#  - a language model: a 1-block char GPT from a 2-block one, token by token
#    on the stream (the same vocabulary: both fitted on the same text);
#  - errors: a teacher of other classes, alpha outside [0, 1], no student.
# Whether distillation pays (3 seeds, full data) is bench/distill.sh's.
set -u
DEEPC=$1; W=$2; SRC=$3; MODE=${4:-full}
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
if [ "$MODE" = full ]; then L=3000; GS=30; FLOOR=0.5; else L=300; GS=3; FLOOR=0.2; fi

"$DEEPC" train "$SRC/models/fashion_cnn.dc" --data fashion-mnist --limit $L --epochs 1 --quiet --out "$W/cnn.safetensors" > "$W/t.out" 2>&1 \
  || bad "train the teacher: $(tail -2 "$W/t.out")"
printf 'input 1x28x28\nflatten\ndense 32 activation=relu\ndense 10 activation=softmax\nloss categorical_crossentropy\noptimizer adam lr=0.001\nfit epochs=2 batch_size=64 validation_split=0.1 seed=1\n' > "$W/s.dc"
"$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --limit $L --temperature 3 --alpha 0.6 --out "$W/d.safetensors" > "$W/d.out" 2>&1 \
  && grep -q "Distilling .*temperature 3, alpha 0.6" "$W/d.out" && grep -q "callback: " "$W/d.out" && ok || bad "distill: $(tail -3 "$W/d.out")"
"$DEEPC" eval "$W/d.safetensors" --data fashion-mnist --limit 1000 --json > "$W/e.out" 2>&1 && at_least "$(json_field "$W/e.out" '["test_accuracy"]')" $FLOOR \
  && ok || bad "the distilled student evaluates: $(tail -2 "$W/e.out")"
# alpha 0: the student's own loss alone, bit for bit the plain run
"$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --limit $L --alpha 0 --out "$W/a0.safetensors" --quiet > "$W/a0.out" 2>&1 || bad "alpha 0: $(tail -2 "$W/a0.out")"
"$DEEPC" train "$W/s.dc" --data fashion-mnist --limit $L --out "$W/alone.safetensors" --quiet > "$W/al.out" 2>&1 || bad "alone: $(tail -2 "$W/al.out")"
"$DEEPC" predict "$W/a0.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/p0.csv" 2>&1
"$DEEPC" predict "$W/alone.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/p1.csv" 2>&1
cmp -s "$W/p0.csv" "$W/p1.csv" && ok || bad "alpha 0 is not the student trained alone"
# stopped and resumed: the same model as one run
# (the resumed run is given the same temperature and alpha: they are not stored)
"$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --limit $L --temperature 4 --alpha 0.7 --stop-after 30 --out "$W/r.safetensors" --quiet > /dev/null 2>&1
"$DEEPC" distill "$W/cnn.safetensors" --resume "$W/r.safetensors" --data fashion-mnist --temperature 4 --alpha 0.7 --quiet > "$W/r.out" 2>&1 || bad "resume: $(tail -2 "$W/r.out")"
"$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --limit $L --temperature 4 --alpha 0.7 --out "$W/one.safetensors" --quiet > /dev/null 2>&1
"$DEEPC" predict "$W/r.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/pr.csv" 2>&1
"$DEEPC" predict "$W/one.safetensors" --data fashion-mnist --limit 50 --probabilities > "$W/po.csv" 2>&1
cmp -s "$W/pr.csv" "$W/po.csv" && ok || bad "a stopped and resumed distillation differs from one run"
"$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --limit $L --quiet --out "$W/j.safetensors" --json > "$W/j.out" 2>&1 \
  && last_json "$W/j.out" distill history && ok || bad "distill --json: $(tail -c 300 "$W/j.out")"
# the student's own loss is a part of its own name: the history's val_loss stays the validation loss (a part named
# "loss" once wrote a second, null "val_loss" key, which JSON readers took)
"$PY" -c "import json,sys; h=json.loads(open('$W/j.out').read().splitlines()[-1])['history'][-1]; sys.exit(0 if isinstance(h['val_loss'], float) and 'own_loss' in h else 1)" \
  && ok || bad "distill --json: val_loss is not the validation loss: $(tail -c 400 "$W/j.out")"

# a language model, token by token
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
head -c 400000 "$W/fortunes.txt" > "$W/small.txt"
sed -e 's/^input 128/input 64/; s/embedding 128 128/embedding 128 64/; s/repeat 4/repeat 2/; s/maxlen=128/maxlen=64/' \
    -e "s/steps_per_epoch=500/steps_per_epoch=$GS/; s/epochs=4/epochs=1/" "$SRC/models/char_gpt.dc" > "$W/big.dc"
sed -e 's/repeat 2/repeat 1/' "$W/big.dc" > "$W/tiny.dc"
"$DEEPC" train "$W/big.dc" --data "$W/small.txt" --quiet --out "$W/big.safetensors" > "$W/b.out" 2>&1 || bad "train the GPT teacher: $(tail -2 "$W/b.out")"
"$DEEPC" distill "$W/big.safetensors" "$W/tiny.dc" --data "$W/small.txt" --validation-steps 5 --out "$W/tiny.safetensors" > "$W/lm.out" 2>&1 \
  && grep -q "callback: " "$W/lm.out" && ok || bad "distill a GPT: $(tail -3 "$W/lm.out")"
"$DEEPC" generate "$W/tiny.safetensors" --prompt "The " --max-tokens 10 --seed 1 > "$W/g.out" 2>&1 && [ -s "$W/g.out" ] && ok || bad "generate from the student: $(cat "$W/g.out")"

# errors
tiny_png_folder "$W/two"
tiny_png_folder "$W/three" && cp -r "$W/three/a" "$W/three/c"
printf 'input 1x8x8\nflatten\ndense 4 activation=softmax\nloss categorical_crossentropy\nfit epochs=1 batch_size=2\n' > "$W/img.dc"
"$DEEPC" train "$W/img.dc" --data "$W/three" --quiet --out "$W/three.safetensors" > "$W/3.out" 2>&1 || bad "a 3-class teacher: $(tail -2 "$W/3.out")"
sed 's/dense 4/dense 2/' "$W/img.dc" > "$W/img2.dc"
expect_fail "the teacher's outputs (2, 4) do not match the student's (2, 2)" "$DEEPC" distill "$W/three.safetensors" "$W/img2.dc" --data "$W/two" --out "$W/x.safetensors"
expect_fail 'needs a number in \[0, 1\]' "$DEEPC" distill "$W/cnn.safetensors" "$W/s.dc" --data fashion-mnist --alpha 1.5
expect_fail "needs a STUDENT description" "$DEEPC" distill "$W/cnn.safetensors" --data fashion-mnist
expect_fail "cannot distill" "$DEEPC" distill "$W/nope.safetensors" "$W/s.dc" --data fashion-mnist --limit 100 --out "$W/x2.safetensors"
finish distill
