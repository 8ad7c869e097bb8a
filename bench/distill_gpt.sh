#!/bin/sh
# distill_gpt.sh [BUILD] [T] [ALPHA] — does distillation pay for a language
# model? models/char_gpt.dc (4 blocks) trained as the README says (2000
# steps on data/fortunes.txt) teaches a 2-block twin; the twin trained alone
# with the same recipe, seed and steps is the baseline. Prints both
# students' validation loss (the last 10% of the text, the student's own
# loss: token cross-entropy) for bench/RESULTS.md.
set -eu
D=${1:-build}/deepc; T=${2:-1}; A=${3:-0.5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=/tmp/deepc_bench_distill_gpt
mkdir -p "$W"
sh "$ROOT/scripts/fortunes_txt.sh" > /dev/null
DATA=$ROOT/data/fortunes.txt
sed 's/repeat 4/repeat 2/' "$ROOT/models/char_gpt.dc" > "$W/student.dc"
val() { tail -1 "$1" | /usr/bin/python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["history"][-1]["val_loss"])'; }
[ -f "$W/teacher.safetensors" ] || "$D" train "$ROOT/models/char_gpt.dc" --data "$DATA" --out "$W/teacher.safetensors" --force --quiet --json > "$W/teacher.json"
"$D" train "$W/student.dc" --data "$DATA" --out "$W/alone.safetensors" --force --quiet --json > "$W/alone.json"
"$D" distill "$W/teacher.safetensors" "$W/student.dc" --data "$DATA" --temperature "$T" --alpha "$A" --out "$W/distilled.safetensors" --force --quiet --json > "$W/distilled.json"
echo "| model | validation loss after 2000 steps |"
echo "|---|---:|"
echo "| teacher, 4 blocks | $(val "$W/teacher.json") |"
echo "| student, 2 blocks, alone | $(val "$W/alone.json") |"
echo "| student, 2 blocks, distilled (T $T, alpha $A) | $(val "$W/distilled.json") |"
