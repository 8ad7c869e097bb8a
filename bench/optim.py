"""optim.py [N] — optimizer step on an N-parameter flat buffer (default 10
million): deepc vs torch.optim at 1 and 2 threads, in the same run. Prints
median step times and the ratio of each side's best. Run from the
repository root after building (build/optim_step)."""
import json
import os
import subprocess
import sys

N = sys.argv[1] if len(sys.argv) > 1 else "10000000"
rows = {}
for t in ("1", "2"):
    rows[("deepc", t)] = json.loads(subprocess.check_output(["build/optim_step", N, t]).decode().splitlines()[-1])
    env = dict(os.environ, OMP_NUM_THREADS=t)
    rows[("pytorch", t)] = json.loads(subprocess.check_output(["/usr/bin/python3", "bench/torch_optim.py", N, t], env=env).decode().splitlines()[-1])
names = ["sgd_momentum", "adam", "adamw", "rmsprop", "adagrad"]
print(f"optimizer step on {int(N):,} parameters (median ms of 20 steps)")
print(f"{'optimizer':14}" + "".join(f"{fw + ' ' + t + 'thr':>14}" for fw in ("deepc", "pytorch") for t in ("1", "2")) + f"{'ratio':>8}")
for k in names:
    vals = {key: rows[key][k] * 1e3 for key in rows}
    best_d = min(vals[("deepc", "1")], vals[("deepc", "2")])
    best_t = min(vals[("pytorch", "1")], vals[("pytorch", "2")])
    print(f"{k:14}" + "".join(f"{vals[(fw, t)]:>14.2f}" for fw in ("deepc", "pytorch") for t in ("1", "2")) + f"{best_d / best_t:>8.2f}")
