"""gpt.py loss [STEPS] | speed [STEPS] — deepc vs PyTorch on models/char_gpt.dc
(the fortunes character GPT), in the same run. PyTorch runs the same recipe in
nanoGPT's style (bench/torch_gpt.py: same data, split, tokenizer, schedule).
  loss:  the validation loss at equal steps (every 500; STEPS default 2000,
         the recipe's 4 epochs), each at 2 threads.
  speed: at 1 and 2 threads each (the best of each is compared): training
         tokens/s over STEPS batches (default 200), peak memory of that run,
         and generation at batch 1 (127 tokens after a one-character prompt,
         top-k 40 at temperature 0.8; best of 3) with the KV cache and
         without.
Run from the repository root after building; makes data/fortunes.txt if
missing."""
import os
import subprocess
import sys

from common import run

mode = sys.argv[1] if len(sys.argv) > 1 else "loss"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else (2000 if mode == "loss" else 200)
if not os.path.exists("data/fortunes.txt"):
    subprocess.run(["sh", "scripts/fortunes_txt.sh"], check=True)
MODEL = "/tmp/bench_gpt.safetensors"


def deepc_train(threads, steps, epochs, extra=()):
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    d, rss = run(["build/deepc", "train", "models/char_gpt.dc", "--data", "data/fortunes.txt", "--epochs", str(epochs),
                  "--steps-per-epoch", str(steps), "--threads", threads, "--quiet", "--json", "--force", "--out", MODEL, *extra], env)
    h = d["history"]
    return h, steps * 32 * 128 * len(h) / sum(e["train_seconds"] for e in h), rss


def deepc_gen(threads, extra=()):
    best = 0.0
    for _ in range(3):
        p = subprocess.run(["build/deepc", "generate", MODEL, "--prompt", "T", "--max-tokens", "127", "--temperature", "0.8", "--top-k",
                            "40", "--seed", "1", "--threads", threads, *extra], capture_output=True, text=True, check=True)
        best = max(best, float(p.stderr.split("(")[1].split(" tokens/s")[0]))
    return best


if mode == "loss":
    epochs = max(1, steps // 500)
    hist, _, _ = deepc_train("2", 500, epochs)
    t, _ = run(["/usr/bin/python3", "bench/torch_gpt.py", "data/fortunes.txt", str(epochs * 500), "2"], dict(os.environ, OMP_NUM_THREADS="2"))
    print(f"char_gpt on data/fortunes.txt: {epochs * 500} steps of 32 x 128 characters, validation on the last 10%")
    print(f"{'step':>6} {'deepc val_loss':>15} {'pytorch val_loss':>17} {'ratio':>7}")
    for e, h in enumerate(hist):
        s = str((e + 1) * 500)
        print(f"{s:>6} {h['val_loss']:>15.4f} {t['val_loss'][s]:>17.4f} {h['val_loss'] / t['val_loss'][s]:>7.3f}")
    sys.exit(0)

rows = {}
for th in ("1", "2"):
    _, tps, rss = deepc_train(th, steps, 1, ["--validation-split", "0"])
    rows[("deepc", th)] = dict(tps=tps, rss=rss, gen=deepc_gen(th), gen_nc=deepc_gen(th, ["--no-cache"]))
    t, rss = run(["/usr/bin/python3", "bench/torch_gpt.py", "data/fortunes.txt", str(steps), th, "noval"], dict(os.environ, OMP_NUM_THREADS=th))
    rows[("pytorch", th)] = dict(tps=t["tokens_per_second"], rss=rss, gen=t["generate_cached_tps"], gen_nc=t["generate_uncached_tps"])
print(f"char_gpt: {steps} training steps of 32 x 128; generation of 127 tokens at batch 1")
print(f"{'framework':10} {'thr':>4} {'train tok/s':>12} {'peak MB':>8} {'gen cached':>11} {'gen uncached':>13}")
for (fw, th), r in rows.items():
    print(f"{fw:10} {th:>4} {r['tps']:>12.0f} {r['rss']:>8.0f} {r['gen']:>11.0f} {r['gen_nc']:>13.0f}")
best = lambda fw, k: max(r[k] for (f, _), r in rows.items() if f == fw)
low = lambda fw, k: min(r[k] for (f, _), r in rows.items() if f == fw)
print(f"ratios deepc/pytorch (best setting of each): training tokens/s {best('deepc', 'tps') / best('pytorch', 'tps'):.2f}, "
      f"peak memory {low('deepc', 'rss') / low('pytorch', 'rss'):.2f}, generation with cache {best('deepc', 'gen') / best('pytorch', 'gen'):.2f}, "
      f"deepc cached / pytorch uncached {best('deepc', 'gen') / best('pytorch', 'gen_nc'):.2f}")
