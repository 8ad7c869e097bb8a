"""spam.py [MODELS...] — test accuracy of the spam recipes (models/spam_{lstm,
gru,bilstm}.dc) in deepc and in PyTorch, on the same split of the same
e-mails: data/spam.csv (scripts/spam_csv.sh) is split once, stratified, 20%
held out (seed 7), into /tmp files; deepc trains on the 80% with `deepc
train` and is scored with `deepc eval`; PyTorch trains the same network
with the same recipe (tokenizer with Keras' semantics: lowercase, Keras'
filters, the num_words - 1 most frequent words with OOV at 1; pre-padding
and truncation to maxlen; Adam, batch 64, the description's epochs).
One thread each. Usage: spam.py [lstm gru bilstm] [--packed]. Run from the repository root after building."""
import collections
import csv
import json
import os
import random
import re
import subprocess
import sys
import time

os.environ["OMP_NUM_THREADS"] = "1"  # before torch loads its BLAS: one thread, as set_num_threads says
import torch  # noqa: E402

torch.set_num_threads(1)
csv.field_size_limit(1 << 30)  # e-mails over 128 KB
# --packed: PyTorch skips the padding through packed sequences, as deepc's
# mask does (the same model, but PyTorch's packed LSTM ran some 5x slower
# here); by default it reads pre-padded batches whole, as most PyTorch code
# and Keras without a mask do (padding_idx=0: zero vectors).
PACKED = "--packed" in sys.argv
models = [a for a in sys.argv[1:] if not a.startswith("--")] or ["lstm", "gru", "bilstm"]
rows = list(csv.DictReader(open("data/spam.csv", newline="", encoding="utf-8", errors="surrogateescape")))
rng = random.Random(7)
train, test = [], []
for label in ("ham", "spam"):
    group = [r for r in rows if r["label"] == label]
    rng.shuffle(group)
    k = round(0.2 * len(group))
    test += group[:k]
    train += group[k:]
rng.shuffle(train)
for path, part in (("/tmp/spam_train.csv", train), ("/tmp/spam_test.csv", test)):
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        w.writerows(part)

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
TABLE = str.maketrans({c: " " for c in FILTERS})


def words(text):
    return re.sub("[A-Z]", lambda m: m.group(0).lower(), text).translate(TABLE).split()


def recipe(name):
    d = open(f"models/spam_{name}.dc").read()
    get = lambda key, default: int(re.search(rf"\b{key}=(\d+)", d).group(1)) if re.search(rf"\b{key}=(\d+)", d) else default
    emb = int(re.search(r"^embedding \d+ (\d+)", d, re.M).group(1))
    return dict(epochs=get("epochs", 10), maxlen=get("maxlen", 200), num_words=get("num_words", 10000), emb=emb,
                cell=torch.nn.GRU if "\ngru" in d else torch.nn.LSTM, bi="bidirectional=true" in d,
                layers=get("layers", 1), dropout=0.5 if "dropout=0.5" in d else 0.0)


def torch_accuracy(name):
    r = recipe(name)
    torch.manual_seed(1)
    counts = collections.Counter(w for row in train for w in words(row["text"]))
    index = {w: i + 2 for i, (w, _) in enumerate(counts.most_common(r["num_words"] - 2))}

    def encode(part):
        ids = torch.zeros(len(part), r["maxlen"], dtype=torch.long)
        for n, row in enumerate(part):
            seq = [index.get(w, 1) for w in words(row["text"])][-r["maxlen"]:]
            if seq and PACKED:
                ids[n, :len(seq)] = torch.tensor(seq)  # real tokens first: packed below
            elif seq:
                ids[n, r["maxlen"] - len(seq):] = torch.tensor(seq)  # Keras' pre-padding
        return ids, torch.tensor([float(row["label"] == "spam") for row in part]).unsqueeze(1)

    xtr, ytr = encode(train)
    xte, yte = encode(test)
    emb = torch.nn.Embedding(r["num_words"], r["emb"], padding_idx=0)
    rnn = r["cell"](r["emb"], 128, num_layers=r["layers"], bidirectional=r["bi"], batch_first=True, dropout=r["dropout"])
    out = torch.nn.Linear(256 if r["bi"] else 128, 1)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(out.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)

    def forward(x):
        if PACKED:
            lengths = (x != 0).sum(1).clamp(min=1)
            _, h = rnn(torch.nn.utils.rnn.pack_padded_sequence(emb(x), lengths, batch_first=True, enforce_sorted=False))
        else:  # pre-padded: the padding (zero vectors) runs first, as without a mask
            _, h = rnn(emb(x))
        h = h[0] if isinstance(h, tuple) else h
        h = torch.cat([h[-2], h[-1]], 1) if r["bi"] else h[-1]
        return out(h)

    t0 = time.perf_counter()
    for epoch in range(r["epochs"]):
        rnn.train()
        perm = torch.randperm(len(train))
        for b in range(0, len(train), 64):
            idx = perm[b:b + 64]
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(forward(xtr[idx]), ytr[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t0
    rnn.eval()
    with torch.no_grad():
        acc = ((forward(xte) > 0).float() == yte).float().mean().item()
    return acc, seconds / r["epochs"]


def deepc_accuracy(name):
    out = f"/tmp/bench_spam_{name}.safetensors"
    t = subprocess.run(["build/deepc", "train", f"models/spam_{name}.dc", "--data", "/tmp/spam_train.csv", "--threads", "1",
                        "--quiet", "--json", "--force", "--out", out], capture_output=True, text=True, check=True)
    h = json.loads(t.stdout.strip().splitlines()[-1])["history"]
    e = subprocess.run(["build/deepc", "eval", out, "--data", "/tmp/spam_test.csv", "--json"], capture_output=True, text=True, check=True)
    return json.loads(e.stdout.strip().splitlines()[-1])["test_accuracy"], sum(x["seconds"] for x in h) / len(h)


print(f"spam: {len(train)} training e-mails, {len(test)} held out (stratified); one thread each; "
      f"PyTorch {'packed' if PACKED else 'pre-padded, unmasked'}")
print(f"{'model':8} {'deepc acc':>10} {'torch acc':>10} {'deepc s/epoch':>14} {'torch s/epoch':>14}")
for name in models:
    da, ds = deepc_accuracy(name)
    ta, ts = torch_accuracy(name)
    print(f"{name:8} {da:>10.4f} {ta:>10.4f} {ds:>14.2f} {ts:>14.2f}", flush=True)
