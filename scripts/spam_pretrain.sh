#!/bin/sh
# spam_pretrain.sh [LABELLED_SHARE] — pretrain, then fine-tune, on the
# SpamAssassin e-mails (scripts/spam_csv.sh), with few labels:
#   1. a stratified 20% test set is held out (data/spam_test.csv);
#   2. models/spam_lm.dc, an LSTM language model, trains on the texts of the
#      other 80%, labels ignored (data/spam_unlabelled.csv);
#   3. LABELLED_SHARE (default 0.05) of all e-mails, stratified, from that 80%
#      keep their labels (data/spam_few.csv); models/spam_lstm.dc trains on
#      them three times, 30 epochs each: from scratch, --init-from the
#      language model (every layer fine-tuned), and --init-from it with the
#      embedding frozen (--freeze embedding);
#   4. each is evaluated on the test set; seeds 1, 2, 3.
# Same seed, same files, same figures. Outputs in data/ (models *.safetensors).
set -e
cd "$(dirname "$0")/.."
SHARE=${1:-0.05}
[ -f data/spam.csv ] || sh scripts/spam_csv.sh
[ -x build/deepc ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null && cmake --build build -j"$(nproc)" > /dev/null; }
/usr/bin/python3 - "$SHARE" <<'PYEOF'
import csv, random, sys
csv.field_size_limit(1 << 30)  # e-mails over 128 KB
share = float(sys.argv[1])
rows = list(csv.DictReader(open("data/spam.csv", newline="", encoding="utf-8", errors="surrogateescape")))
rng = random.Random(7)
test, rest, few = [], [], []
for label in ("ham", "spam"):
    group = [r for r in rows if r["label"] == label]
    rng.shuffle(group)
    k = round(0.2 * len(group))
    test += group[:k]
    rest += group[k:]
    few += group[k:k + round(share * len(group))]
def write(path, rs, fields):
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rs)
write("data/spam_test.csv", test, ["text", "label"])
write("data/spam_unlabelled.csv", rest, ["text"])
write("data/spam_few.csv", few, ["text", "label"])
print(f"test {len(test)} e-mails, unlabelled {len(rest)}, labelled {len(few)}")
PYEOF
D=build/deepc
$D train models/spam_lm.dc --data data/spam_unlabelled.csv --out data/spam_lm.safetensors --force
$D eval data/spam_lm.safetensors --data data/spam_unlabelled.csv | tail -1
# the same recipe for all three (30 epochs: 150 steps on 303 e-mails), seeds 1-3
acc() { $D eval "$1" --data data/spam_test.csv --json | tail -1 | /usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)['test_accuracy'])"; }
for seed in 1 2 3; do
  common="models/spam_lstm.dc --data data/spam_few.csv --epochs 30 --seed $seed --force --quiet"
  $D train $common --out data/spam_scratch.safetensors
  $D train $common --init-from data/spam_lm.safetensors --out data/spam_finetuned.safetensors > /dev/null
  $D train $common --init-from data/spam_lm.safetensors --freeze embedding --out data/spam_frozen.safetensors > /dev/null
  echo "seed $seed: test accuracy from scratch $(acc data/spam_scratch.safetensors), pretrained + fine-tuned $(acc data/spam_finetuned.safetensors), pretrained with the embedding frozen $(acc data/spam_frozen.safetensors)"
done
