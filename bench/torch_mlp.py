"""torch_mlp.py THREADS EPOCHS — the PyTorch equivalent of
models/fashion_mlp.dc: the same data, model, loss, optimizer, batch size and
validation split, with tensors already in memory (no DataLoader overhead).
Prints one JSON line with the median seconds per epoch and test accuracy."""
import json
import statistics
import sys
import time

import numpy as np
import torch

from common import idx

threads, epochs = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(42)

xtr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), dtype=torch.float32) / 255.0
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), dtype=torch.float32) / 255.0
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
nval = len(xtr) // 10  # Keras validation_split=0.1: the last 10%
xval, yval, xtr, ytr = xtr[-nval:], ytr[-nval:], xtr[:-nval], ytr[:-nval]

model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def evaluate(x, y):
    model.eval()
    with torch.no_grad():
        out = model(x)
        return loss_fn(out, y).item(), (out.argmax(1) == y).float().mean().item()


times = []
for e in range(epochs):
    t0 = time.perf_counter()
    model.train()
    perm = torch.randperm(len(xtr))
    for s in range(0, len(xtr), 64):
        i = perm[s:s + 64]
        opt.zero_grad()
        loss = loss_fn(model(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
    evaluate(xval, yval)
    times.append(time.perf_counter() - t0)
test_loss, test_acc = evaluate(xte, yte)
print(json.dumps({"seconds_per_epoch": statistics.median(times), "test_accuracy": test_acc, "test_loss": test_loss}))
