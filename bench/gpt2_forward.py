"""gpt2_forward.py — GPT-2 small (124 M, random weights) forward at its full
context of 1024 tokens, deepc (bench/gpt2_forward.c on models/gpt2.dc) and
PyTorch (bench/torch_gpt2_forward.py) in the same run, at 1 and 2 threads:
tokens/s, GFLOP/s against this machine's FMA peak (about 200 GFLOP/s on 2
cores), and peak memory of the process. Run from the repository root after
building."""
import os

from common import run

PEAK = 200.0
rows = {}
for t in ("1", "2"):
    d, rss = run(["build/gpt2_forward", "models/gpt2.dc", t])
    rows[("deepc", t)] = dict(d, rss=rss)
    p, rss = run(["/usr/bin/python3", "bench/torch_gpt2_forward.py", t], dict(os.environ, OMP_NUM_THREADS=t))
    rows[("pytorch", t)] = dict(p, rss=rss)
print("GPT-2 small forward, 1 x 1024 tokens, random weights")
print(f"{'framework':10} {'thr':>4} {'seconds':>8} {'tokens/s':>9} {'GFLOP/s':>8} {'of peak':>8} {'peak MB':>8}")
for (fw, t), r in rows.items():
    print(f"{fw:10} {t:>4} {r['seconds']:>8.3f} {r['tokens_per_second']:>9.0f} {r['gflops']:>8.1f} {r['gflops'] / PEAK:>8.0%} {r['rss']:>8.0f}")
best = lambda fw, k: max(r[k] for (f, _), r in rows.items() if f == fw)
low = lambda fw, k: min(r[k] for (f, _), r in rows.items() if f == fw)
print(f"ratios deepc/pytorch (best of each): tokens/s {best('deepc', 'tokens_per_second') / best('pytorch', 'tokens_per_second'):.2f}, "
      f"peak memory {low('deepc', 'rss') / low('pytorch', 'rss'):.2f}")
