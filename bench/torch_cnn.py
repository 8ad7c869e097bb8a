"""torch_cnn.py THREADS LIMIT — the PyTorch equivalent of models/fashion_cnn.dc:
one training epoch over the first LIMIT training images (10% held out for
validation, as deepc), then batch-1 latency and batch-256 throughput in eval
mode. Prints one JSON line."""
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from common import idx

threads, limit = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(42)

x = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:limit], dtype=torch.float32) / 255.0
y = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8)[:limit].astype(np.int64))
nval = len(x) // 10
xv, yv, x, y = x[-nval:], y[-nval:], x[:-nval], y[:-nval]
model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Dropout(0.3), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
t0 = time.perf_counter()
model.train()
perm = torch.randperm(len(x))
for s in range(0, len(x), 64):
    i = perm[s:s + 64]
    opt.zero_grad()
    loss_fn(model(x[i]), y[i]).backward()
    opt.step()
model.eval()
with torch.no_grad():
    for s in range(0, len(xv), 256):
        model(xv[s:s + 256])
epoch = time.perf_counter() - t0
lat = []
with torch.no_grad():
    one = torch.rand(1, 1, 28, 28)
    for _ in range(20):
        model(one)
    for _ in range(300):
        t = time.perf_counter()
        model(one)
        lat.append(time.perf_counter() - t)
    big = torch.rand(256, 1, 28, 28)
    tb = []
    for _ in range(15):
        t = time.perf_counter()
        model(big)
        tb.append(time.perf_counter() - t)
print(json.dumps({"epoch_seconds": epoch, "latency_ms": 1e3 * statistics.median(lat), "throughput": 256 / statistics.median(tb)}))
