"""vae.py [EPOCHS] [LATENTS] — deepc vs the PyTorch reference VAE
(bench/torch_vae.py) on the recipe of models/fashion_vae.dc: all 60,000
training images, Adam 1e-3, batch 128. For each latent size (default 2 and
20): the test negative ELBO of both after EPOCHS (default 20; 0 skips it) at 2 threads,
then the median epoch time of a short run at 1 and 2 threads each. Prints
the ELBO gap and the epoch-time ratio (best thread setting of each side).
VAE_QUALITY_ONLY=1 skips the timing. Run from the repository root after
building (build/deepc)."""
import os
import sys
import tempfile

from common import run

EPOCHS = sys.argv[1] if len(sys.argv) > 1 else "20"
LATENTS = [int(v) for v in (sys.argv[2] if len(sys.argv) > 2 else "2,20").split(",")]
PY = "/usr/bin/python3"
tmp = tempfile.mkdtemp()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def description(latent):
    src = open("models/fashion_vae.dc").read()
    src = src.replace("dense 2 name=mu", f"dense {latent} name=mu").replace("dense 2 inputs=encoder", f"dense {latent} inputs=encoder")
    path = f"{tmp}/vae{latent}.dc"
    open(path, "w").write(src)
    return path


def deepc(latent, threads, epochs):
    d, rss = run(["build/deepc", "train", description(latent), "--data", "fashion-mnist", "--epochs", str(epochs),
                  "--threads", str(threads), "--quiet", "--json", "--out", f"{tmp}/vae.safetensors"])
    return d["test_loss"], median([h["seconds"] for h in d["history"]]), rss


def torch(latent, threads, epochs):
    t, rss = run([PY, "bench/torch_vae.py", str(threads), str(epochs), str(latent)], dict(os.environ, OMP_NUM_THREADS=str(threads)))
    return t["test_loss"], t["seconds_per_epoch"], rss


for latent in LATENTS:
    if EPOCHS == "0":  # timing only
        pass
    else:
        dq, tq = deepc(latent, 2, EPOCHS), torch(latent, 2, EPOCHS)
        print(f"latent {latent}, {EPOCHS} epochs: test negative ELBO deepc {dq[0]:.2f}, pytorch {tq[0]:.2f} "
              f"(deepc/pytorch {dq[0] / tq[0]:.4f}); peak MB deepc {dq[2]:.0f}, pytorch {tq[2]:.0f}")
    times = {}
    if os.environ.get("VAE_QUALITY_ONLY"):
        continue
    for threads in (1, 2):
        times[("deepc", threads)] = deepc(latent, threads, 3)[1]
        times[("pytorch", threads)] = torch(latent, threads, 3)[1]
    bd, bt = min(v for k, v in times.items() if k[0] == "deepc"), min(v for k, v in times.items() if k[0] == "pytorch")
    print(f"latent {latent}: s/epoch " + ", ".join(f"{k[0]} {k[1]}t {v:.2f}" for k, v in sorted(times.items())) +
          f"; ratio deepc/pytorch (best of each) {bd / bt:.2f}")
