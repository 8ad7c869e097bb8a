"""threads_load.py [LIMIT] [REPS] — threads on a shared machine: one training
epoch of the Fashion CNN (models/fashion_cnn.dc) over the first LIMIT images
(default 6000) at 1 and 2 threads, on a quiet machine and with a competing
busy process that this script starts itself (one core spinning), for deepc
and for PyTorch (bench/torch_cnn.py) in the same run. Prints the median
epoch time of REPS runs (default 3) of each and, per framework, the ratio
2 threads / 1 thread: above 1 means the second thread made it slower.
deepc is also run with DEEPC_ADAPT=0 (its governor off: every loop on the
full team), which is how it ran before the governor. Run from the
repository root after building."""
import multiprocessing
import os
import statistics
import sys

from common import run

LIMIT = sys.argv[1] if len(sys.argv) > 1 else "6000"
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def spin():
    while True:
        pass


def deepc(t, extra=None):
    env = dict(os.environ, **(extra or {}))
    d, _ = run(["build/deepc", "train", "models/fashion_cnn.dc", "--data", "fashion-mnist", "--epochs", "1", "--limit", LIMIT,
                "--threads", t, "--quiet", "--json", "--force", "--out", "/tmp/bench_threads.safetensors"], env)
    return d["history"][0]["seconds"]


def torch(t):
    d, _ = run(["/usr/bin/python3", "bench/torch_cnn.py", t, LIMIT], dict(os.environ, OMP_NUM_THREADS=t))
    return d["epoch_seconds"]


cases = [("deepc", lambda t: deepc(t)), ("deepc DEEPC_ADAPT=0", lambda t: deepc(t, {"DEEPC_ADAPT": "0"})), ("pytorch", torch)]
res = {}
for load in ("quiet", "loaded"):
    p = None
    if load == "loaded":
        p = multiprocessing.Process(target=spin, daemon=True)
        p.start()
    for name, f in cases:
        for t in ("1", "2"):
            res[(load, name, t)] = statistics.median(f(t) for _ in range(REPS))
    if p:
        p.terminate()
        p.join()
print(f"Fashion CNN, one epoch over {LIMIT} images: median of {REPS} runs, seconds; loaded = one other process spinning")
print(f"{'':8} {'framework':22} {'1 thread':>9} {'2 threads':>10} {'2T/1T':>7}")
for load in ("quiet", "loaded"):
    for name, _ in cases:
        a, b = res[(load, name, "1")], res[(load, name, "2")]
        print(f"{load:8} {name:22} {a:>9.2f} {b:>10.2f} {b / a:>7.2f}")
