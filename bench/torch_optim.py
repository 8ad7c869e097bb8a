"""torch_optim.py N THREADS — torch.optim's step time on one N-parameter
tensor for the optimizers of bench/optim_step.c (median of 20 steps)."""
import json
import statistics
import sys
import time

import torch

n, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(1)
p = torch.nn.Parameter(torch.rand(n) - 0.5)
p.grad = 0.01 * (torch.rand(n) - 0.5)
make = {
    "sgd_momentum": lambda: torch.optim.SGD([p], lr=0.01, momentum=0.9),
    "adam": lambda: torch.optim.Adam([p], lr=1e-3),
    "adamw": lambda: torch.optim.AdamW([p], lr=1e-3),
    "rmsprop": lambda: torch.optim.RMSprop([p], lr=1e-3),
    "adagrad": lambda: torch.optim.Adagrad([p], lr=1e-2),
}
out = {"threads": threads}
for name, f in make.items():
    opt = f()
    times = []
    for s in range(21):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    out[name] = statistics.median(times[1:])
print(json.dumps(out))
