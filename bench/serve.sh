#!/bin/sh
# serve.sh [SECONDS] [mlp spam char_gpt gpt2] — deepc serve under load:
# Debian's wrk (bench/serve_post.lua) against the Fashion MLP and the spam
# LSTM at 1, 8 and 64 connections, beside `deepc predict` on the same inputs
# in one process; generated tokens/s of the char GPT and GPT-2 small with 1,
# 4 and 16 concurrent streams (bench/serve_bench.py). The models are trained
# here once (their default recipes, one epoch: speed does not depend on the
# weights) and kept in $W; GPT-2 small has random weights and GPT-2's BPE.
set -e
cd "$(dirname "$0")/.."
ROOT=$(pwd)
D=$ROOT/build
W=${W:-/tmp/deepc_serve_bench}
SECS=${1:-10}
[ $# -gt 0 ] && shift
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$W"
[ -f "$W/mlp.safetensors" ] || "$D/deepc" train models/fashion_mlp.dc --data fashion-mnist --epochs 1 --quiet --out "$W/mlp.safetensors"
[ -f data/spam.csv ] || sh scripts/spam_csv.sh > /dev/null
[ -f "$W/spam.safetensors" ] || "$D/deepc" train models/spam_lstm.dc --data data/spam.csv --epochs 1 --quiet --out "$W/spam.safetensors"
[ -f data/fortunes.txt ] || sh scripts/fortunes_txt.sh > /dev/null
[ -f "$W/char_gpt.safetensors" ] || "$D/deepc" train models/char_gpt.dc --data data/fortunes.txt --epochs 1 --quiet --out "$W/char_gpt.safetensors"
[ -f data/gpt2/encoder.json ] || sh scripts/gpt2_bpe.sh > /dev/null
[ -f "$W/gpt2.safetensors" ] || DEEPC_SAVE="$W/gpt2.safetensors" "$D/gpt2_generate" models/gpt2.dc 1 0 1 > /dev/null
# request bodies, one instance each: test images as the IDX loader scales
# them, and the spam CSV's texts
"$PY" - "$W" "$ROOT/data/spam.csv" << 'PYEOF'
import csv, gzip, json, sys
import numpy as np
w, spam = sys.argv[1], sys.argv[2]
px = np.frombuffer(gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 784)
rows = [[float(v) for v in px[i].astype(np.float32) * np.float32(1 / 255)] for i in range(2048)]
with open(w + "/mlp_bodies.txt", "w") as f:
    for i in range(1000):
        f.write(json.dumps({"instances": [rows[i]]}) + "\n")
with open(w + "/mlp_bodies32.txt", "w") as f:
    for i in range(0, 2048, 32):
        f.write(json.dumps({"instances": rows[i:i + 32]}) + "\n")
csv.field_size_limit(1 << 24)
rows = list(csv.DictReader(open(spam, newline="", encoding="utf-8", errors="replace")))
texts = [r["text"][:20000] for r in rows[:2048]]
with open(w + "/spam_bodies.txt", "w") as f:
    for t in texts[:1000]:
        f.write(json.dumps({"instances": [t]}) + "\n")
with open(w + "/spam_bodies32.txt", "w") as f:
    for i in range(0, len(texts) - 31, 32):
        f.write(json.dumps({"instances": texts[i:i + 32]}) + "\n")
PYEOF
"$PY" bench/serve_bench.py "$D/deepc" "$W" "$SECS" "$@"
