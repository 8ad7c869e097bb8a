#!/bin/sh
# compat.sh TEST_COMPAT DEEPC WORKDIR SOURCE_DIR — format-1 model files (written by
# deepc at commit 2fc631a) still load and predict identically: the C fixtures
# (tests/test_compat.c), and a CSV model whose eval and predict output must
# match what that version printed.
set -u
TC=$1; DEEPC=$2; W=$3; SRC=$4
rm -rf "$W"; mkdir -p "$W"
FX="$SRC/tests/fixtures"
. "$SRC/tests/lib.sh"
"$TC" "$FX" || bad "format-1 fixtures"
SK=$(sh "$SRC/scripts/tables.sh" "$W/data") || bad "no tables"
OPTS="--data $SK/iris.csv --skip-rows 1 --no-header --json"
# every row, as format-1 eval scored them (eval now scores the held-out
# rows of a training file by default; the JSON's "rows" key is newer)
"$DEEPC" eval "$FX/v1_iris.safetensors" $OPTS --all-rows | tail -1 | sed 's/"rows":"all",//' | cmp -s - "$FX/v1_iris_eval.json" && ok || bad "iris eval differs from format 1"
# the same classes as format 1 predicted (the predict JSON is one row object per sample since issue 16)
"$DEEPC" predict "$FX/v1_iris.safetensors" $OPTS | tail -1 > "$W/pred.json"
${PYTHON:-/usr/bin/python3} -c "
import json, sys
new = [p['class'] for p in json.load(open('$W/pred.json'))['predictions']]
old = json.load(open('$FX/v1_iris_predict.json'))['predictions']
sys.exit(0 if new == old else 1)" && ok || bad "iris predict differs from format 1"
finish compat
