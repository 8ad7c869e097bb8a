"""seq_data.py OUT.csv [ROWS] [LEN] — a synthetic text table for the sequence
benchmarks: ROWS texts (default 20000) of LEN words (default 200) drawn from a
Zipf-like vocabulary of 12,000 words (so that num_words=10000 cuts some),
labelled 1 when a marker word occurs more often than another. Same seed, same
file. Timing only: the task is learnable but nothing is claimed about it."""
import csv
import sys

import numpy as np

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
length = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rng = np.random.default_rng(1)
vocab = 12000
p = 1.0 / np.arange(1, vocab + 1)
p /= p.sum()
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    for _ in range(rows):
        ids = rng.choice(vocab, size=length, p=p)
        label = int((ids == 7).sum() > (ids == 8).sum())
        w.writerow([" ".join(f"w{i}" for i in ids), label])
