"""mlp.py [EPOCHS] — deepc vs PyTorch on the Fashion-MNIST MLP recipe
(models/fashion_mlp.dc), in the same run, each at 1 and 2 threads.
Reports the median seconds per epoch, peak resident memory (from wait4) and
the ratios of deepc's best to PyTorch's best. Run from the repository root
after building (build/deepc)."""
import os
import sys

from common import run

EPOCHS = sys.argv[1] if len(sys.argv) > 1 else "3"
PY = "/usr/bin/python3"


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


rows = []
for threads in (1, 2):
    d, rss = run(["build/deepc", "train", "models/fashion_mlp.dc", "--data", "fashion-mnist", "--epochs", EPOCHS,
                  "--threads", str(threads), "--quiet", "--json", "--out", "/tmp/bench_mlp.safetensors"])
    rows.append(("deepc", threads, median([h["seconds"] for h in d["history"]]), rss, d["test_accuracy"]))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t, rss = run([PY, "bench/torch_mlp.py", str(threads), EPOCHS], env)
    rows.append(("pytorch", threads, t["seconds_per_epoch"], rss, t["test_accuracy"]))

print(f"Fashion-MNIST MLP, {EPOCHS} epochs, batch 64 (seconds per epoch include the validation pass)")
print(f"{'framework':10} {'threads':>7} {'s/epoch':>8} {'peak MB':>8} {'test acc':>8}")
for r in rows:
    print(f"{r[0]:10} {r[1]:>7} {r[2]:>8.3f} {r[3]:>8.1f} {r[4]:>8.4f}")
best = {fw: min((r for r in rows if r[0] == fw), key=lambda r: r[2]) for fw in ("deepc", "pytorch")}
mem = {fw: min(r[3] for r in rows if r[0] == fw) for fw in ("deepc", "pytorch")}
print(f"epoch time ratio deepc/pytorch (best thread setting each): {best['deepc'][2] / best['pytorch'][2]:.2f} "
      f"(deepc {best['deepc'][1]} threads, pytorch {best['pytorch'][1]} threads)")
print(f"peak memory ratio deepc/pytorch: {mem['deepc'] / mem['pytorch']:.2f}")
