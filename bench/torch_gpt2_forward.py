"""torch_gpt2_forward.py THREADS [RUNS] — PyTorch's side of
bench/gpt2_forward.py: the reference GPT-2 (tests/gpt2_ref.py) at GPT-2
small's size with random weights, one forward of 1024 tokens under
torch.no_grad(): the median of RUNS after a warm-up. One JSON line."""
import json
import sys
import time

import torch

sys.path.insert(0, "tests")
from gpt2_ref import GPT  # noqa: E402

torch.set_num_threads(int(sys.argv[1]))
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
m = GPT(50257, 1024, 768, 12, 12).eval()
ids = torch.tensor([[(i * 7919) % 50257 for i in range(1024)]])
t = []
with torch.no_grad():
    for k in range(runs + 1):
        t0 = time.perf_counter()
        m(ids)
        t.append(time.perf_counter() - t0)
med = sorted(t[1:])[runs // 2]
C, L, V, T = 768, 12, 50257, 1024
flops = 2 * (L * 12 * C * C + V * C) * T + 2 * 2 * L * T * T / 2 * C
print(json.dumps({"seconds": med, "tokens_per_second": T / med, "gflops": flops / med / 1e9}))
