"""cnn_epoch.py [REPS] — a full Fashion-MNIST epoch of models/fashion_cnn.dc
(54,000 training images, batch 64, 10% validation) against both PyTorch
references in the same run, at 1 and 2 threads, REPS rounds (default 2),
the runs of a round one after the other:

  - bench/torch_cnn.py (the same recipe, dropout included; its epoch time
    includes validation, like deepc's `seconds`);
  - ../shared/peers/torch_cnn.py (an independent reference: the same layers
    without dropout; its `train` time excludes validation, like deepc's
    `train_seconds`).

Prints each one's median per thread count and the ratios deepc / PyTorch,
best thread setting of each. Run from the repository root after building."""
import os
import re
import statistics
import subprocess
import sys

from common import run

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers")

times = {}  # (name, threads) -> list of seconds


def add(name, t, s):
    times.setdefault((name, t), []).append(s)


for _ in range(REPS):
    for t in ("1", "2"):
        d, _ = run(["build/deepc", "train", "models/fashion_cnn.dc", "--data", "fashion-mnist", "--epochs", "1", "--threads", t,
                    "--quiet", "--json", "--force", "--out", "/tmp/bench_cnn_epoch.safetensors"])
        add("deepc epoch", t, d["history"][0]["seconds"])
        add("deepc train", t, d["history"][0]["train_seconds"])
        tt, _ = run(["/usr/bin/python3", "bench/torch_cnn.py", t, "60000"], dict(os.environ, OMP_NUM_THREADS=t))
        add("bench/torch_cnn.py epoch", t, tt["epoch_seconds"])
        if os.path.isdir(PEER):
            out = subprocess.run(["/usr/bin/python3", "torch_cnn.py", "--threads", t, "--epochs", "1"], cwd=PEER, check=True,
                                 capture_output=True, text=True).stdout
            add("peers/torch_cnn.py train", t, float(re.search(r"^epoch 1 train ([0-9.]+)s", out, re.M).group(1)))

med = {k: statistics.median(v) for k, v in times.items()}
print(f"Fashion-MNIST CNN, one full epoch (54,000 images), median of {REPS}, seconds")
print(f"{'':28} {'1 thread':>9} {'2 threads':>9}")
for name in dict.fromkeys(k[0] for k in med):
    print(f"{name:28} {med[(name, '1')]:9.2f} {med[(name, '2')]:9.2f}")
best = lambda name: min(med[(name, t)] for t in ("1", "2"))
print(f"deepc / bench/torch_cnn.py (epoch with validation, best setting of each): {best('deepc epoch') / best('bench/torch_cnn.py epoch'):.2f}")
if ("peers/torch_cnn.py train", "1") in med:
    print(f"deepc / peers/torch_cnn.py (training only, best setting of each): {best('deepc train') / best('peers/torch_cnn.py train'):.2f}")
