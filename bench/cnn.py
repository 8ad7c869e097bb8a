"""cnn.py [LIMIT] — deepc vs PyTorch on the Fashion-MNIST CNN
(models/fashion_cnn.dc), in the same run, at 1 and 2 threads: one training
epoch over the first LIMIT images (default 12000; 10% validation), peak
memory of that run, batch-1 inference latency and batch-256 throughput.
Run from the repository root after building."""
import os
import sys

from common import run

LIMIT = sys.argv[1] if len(sys.argv) > 1 else "12000"



rows = {}
for t in ("1", "2"):
    d, rss = run(["build/deepc", "train", "models/fashion_cnn.dc", "--data", "fashion-mnist", "--epochs", "1", "--limit", LIMIT,
                  "--threads", t, "--quiet", "--json", "--out", "/tmp/bench_cnn.safetensors"])
    inf, _ = run(["build/cnn_infer", "/tmp/bench_cnn.safetensors", t])
    rows[("deepc", t)] = dict(epoch=d["history"][0]["seconds"], rss=rss, lat=inf["latency_ms"], thr=inf["throughput"])
    tt, rss = run(["/usr/bin/python3", "bench/torch_cnn.py", t, LIMIT], dict(os.environ, OMP_NUM_THREADS=t))
    rows[("pytorch", t)] = dict(epoch=tt["epoch_seconds"], rss=rss, lat=tt["latency_ms"], thr=tt["throughput"])
print(f"Fashion-MNIST CNN: one epoch over {LIMIT} images (batch 64), inference latency (batch 1), throughput (batch 256)")
print(f"{'framework':10} {'thr':>4} {'epoch s':>8} {'peak MB':>8} {'lat ms':>8} {'img/s':>9}")
for (fw, t), r in rows.items():
    print(f"{fw:10} {t:>4} {r['epoch']:>8.2f} {r['rss']:>8.1f} {r['lat']:>8.3f} {r['thr']:>9.0f}")
best = lambda fw, k, f: f(rows[(fw, t)][k] for t in ("1", "2"))
print(f"ratios deepc/pytorch (best setting of each): epoch time {best('deepc', 'epoch', min) / best('pytorch', 'epoch', min):.2f}, "
      f"latency {best('deepc', 'lat', min) / best('pytorch', 'lat', min):.2f}, "
      f"throughput {best('deepc', 'thr', max) / best('pytorch', 'thr', max):.2f}, "
      f"peak memory {best('deepc', 'rss', min) / best('pytorch', 'rss', min):.2f}")
