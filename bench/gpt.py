"""gpt.py [STEPS] — deepc vs PyTorch on models/char_gpt.dc (the fortunes
character GPT), in the same run, each at 2 threads (its best here): the
validation loss at equal steps (every 500), training tokens/s, peak memory,
and generation at batch 1 (127 tokens after a one-character prompt, top-k
40 at temperature 0.8) with the KV cache and without. PyTorch runs the same
recipe in nanoGPT's style (bench/torch_gpt.py). Run from the repository root
after building; makes data/fortunes.txt if missing. STEPS: 2000 (the
recipe's 4 epochs of 500)."""
import json
import os
import subprocess
import sys
import time

from common import run

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
if not os.path.exists("data/fortunes.txt"):
    subprocess.run(["sh", "scripts/fortunes_txt.sh"], check=True)
epochs = max(1, steps // 500)
env = dict(os.environ, OMP_NUM_THREADS="2")
d, rss = run(["build/deepc", "train", "models/char_gpt.dc", "--data", "data/fortunes.txt", "--epochs", str(epochs), "--threads", "2",
              "--quiet", "--json", "--force", "--out", "/tmp/bench_gpt.safetensors"], env)
hist = d["history"]
dc_tps = sum(500 * 32 * 128 for _ in hist) / sum(h["train_seconds"] for h in hist)


def gen(extra):
    best = 0.0
    for _ in range(3):
        p = subprocess.run(["build/deepc", "generate", "/tmp/bench_gpt.safetensors", "--prompt", "T", "--max-tokens", "127",
                            "--temperature", "0.8", "--top-k", "40", "--seed", "1", "--threads", "2"] + extra,
                           capture_output=True, text=True, env=env, check=True)
        best = max(best, float(p.stderr.split("(")[1].split(" tokens/s")[0]))
    return best


dc_gen, dc_gen_nc = gen([]), gen(["--no-cache"])
t, trss = run(["/usr/bin/python3", "bench/torch_gpt.py", "data/fortunes.txt", str(epochs * 500), "2"], env)
print(f"char_gpt on data/fortunes.txt: {epochs * 500} steps of 32 x 128 tokens, 2 threads each")
print(f"{'step':>6} {'deepc val_loss':>15} {'pytorch val_loss':>17} {'ratio':>7}")
for e, h in enumerate(hist):
    s = str((e + 1) * 500)
    print(f"{s:>6} {h['val_loss']:>15.4f} {t['val_loss'][s]:>17.4f} {h['val_loss'] / t['val_loss'][s]:>7.3f}")
print(f"training tokens/s: deepc {dc_tps:.0f}, pytorch {t['tokens_per_second']:.0f}, ratio {dc_tps / t['tokens_per_second']:.2f}")
print(f"peak memory MB: deepc {rss:.0f}, pytorch {trss:.0f}, ratio {rss / trss:.2f}")
print(f"generation tokens/s (batch 1): deepc cached {dc_gen:.0f} / uncached {dc_gen_nc:.0f}; "
      f"pytorch cached {t['generate_cached_tps']:.0f} / uncached {t['generate_uncached_tps']:.0f}; "
      f"ratio cached/cached {dc_gen / t['generate_cached_tps']:.2f}, deepc cached / pytorch uncached {dc_gen / t['generate_uncached_tps']:.2f}")
