"""distill_check.py FILE.json — tests/test_distill.c's values against
PyTorch: T^2 * KLDivLoss(reduction="batchmean")(log_softmax(s / T),
softmax(t / T)) over the last axis (every other position a row), and its
gradient with respect to s."""
import json
import sys

import torch
import torch.nn.functional as F

bad = 0
for c in json.load(open(sys.argv[1])):
    V = c["shape"][-1]
    s = torch.tensor(c["s"], dtype=torch.float64).reshape(-1, V).requires_grad_(True)
    t = torch.tensor(c["t"], dtype=torch.float64).reshape(-1, V)
    T = c["T"]
    ref = torch.nn.KLDivLoss(reduction="batchmean")(F.log_softmax(s / T, -1), F.softmax(t / T, -1)) * T * T
    ref.backward()
    g = torch.tensor(c["grad"], dtype=torch.float64).reshape(-1, V)
    dv = abs(ref.item() - c["value"]) / max(1.0, abs(ref.item()))
    dg = (g - s.grad).abs().max().item()
    ok = dv < 1e-5 and dg < 1e-6
    bad += not ok
    print(f"T={T} shape={c['shape']}: value {c['value']:.6f} vs torch {ref.item():.6f}, gradient max diff {dg:.2e}" + ("" if ok else "  FAIL"))
print(f"distill_check: {3 - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
