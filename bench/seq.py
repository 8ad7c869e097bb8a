"""seq.py [MODELS...] [--rows N] [--torch-threads 1] — deepc vs PyTorch on the text models of
models/spam_{lstm,gru,bilstm}.dc, in the same run, at 1 and 2 threads: one
training epoch over N synthetic texts of 200 words (default 20,000; made by
bench/seq_data.py, batch 64), peak memory of that run, and batch-1 latency of
a 200-word text. deepc runs what a user runs (`deepc train` on the CSV; its
epoch time excludes reading and tokenizing, as PyTorch's does). Models:
lstm, gru, bilstm (default: lstm bilstm). Run from the repository root after
building."""
import os
import sys

from common import run

args = sys.argv[1:]
rows = "20000"
# --torch-threads 1: PyTorch at one thread only. Its two-thread LSTM epoch
# is 5x slower than its one-thread one here (bench/RESULTS.md), so its best
# setting is one thread, and the two-thread BiLSTM run would take 25 minutes.
torch_threads = ("1", "2")
if "--torch-threads" in args:
    i = args.index("--torch-threads")
    torch_threads = (args[i + 1],)
    del args[i:i + 2]
if "--rows" in args:
    i = args.index("--rows")
    rows = args[i + 1]
    del args[i:i + 2]
models = args or ["lstm", "bilstm"]
csv = f"/tmp/deepc_seq_{rows}.csv"
if not os.path.exists(csv):
    import subprocess
    subprocess.run(["/usr/bin/python3", "bench/seq_data.py", csv, rows], check=True)
for name in models:
    out = f"/tmp/bench_seq_{name}.safetensors"
    rows_ = {}
    for t in ("1", "2"):
        d, rss = run(["build/deepc", "train", f"models/spam_{name}.dc", "--data", csv, "--epochs", "1", "--threads", t,
                      "--quiet", "--json", "--force", "--out", out])
        lat, _ = run(["build/seq_infer", out, t])
        rows_[("deepc", t)] = dict(epoch=d["history"][0]["seconds"], rss=rss, lat=lat["latency_ms"])
        if t not in torch_threads:
            continue
        tt, rss = run(["/usr/bin/python3", "bench/torch_seq.py", name, t, csv], dict(os.environ, OMP_NUM_THREADS=t))
        rows_[("pytorch", t)] = dict(epoch=tt["epoch_seconds"], rss=rss, lat=tt["latency_ms"])
    print(f"spam_{name}: one epoch over {rows} texts of 200 words (batch 64), batch-1 latency")
    print(f"{'framework':10} {'thr':>4} {'epoch s':>8} {'peak MB':>8} {'lat ms':>8}")
    for (fw, t), r in rows_.items():
        print(f"{fw:10} {t:>4} {r['epoch']:>8.2f} {r['rss']:>8.1f} {r['lat']:>8.3f}")
    best = lambda fw, k: min(r[k] for (f, _), r in rows_.items() if f == fw)
    print(f"ratios deepc/pytorch (best setting of each): epoch time {best('deepc', 'epoch') / best('pytorch', 'epoch'):.2f}, "
          f"latency {best('deepc', 'lat') / best('pytorch', 'lat'):.2f}, "
          f"peak memory {best('deepc', 'rss') / best('pytorch', 'rss'):.2f}", flush=True)
