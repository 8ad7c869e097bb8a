"""ae_pca.py [EPOCHS] — the autoencoder of models/fashion_ae.dc (784 -> 256
-> 32 -> 256 -> 784, MSE, the input as the target) against PCA with as many
components (32), on the same Fashion-MNIST images: each learns from the
60,000 training images, and both reconstruct the 10,000 test images. Prints
their test reconstruction errors (mean squared error per pixel, pixels in
[0, 1]) side by side. Run from the repository root after building."""
import sys
import tempfile

import numpy as np

from common import idx, run

EPOCHS = sys.argv[1] if len(sys.argv) > 1 else "20"
K = 32
tmp = tempfile.mkdtemp()
d, rss = run(["build/deepc", "train", "models/fashion_ae.dc", "--data", "fashion-mnist", "--epochs", EPOCHS, "--quiet",
              "--json", "--out", f"{tmp}/ae.safetensors"])
xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float64) / 255.0
xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float64) / 255.0
mean = xtr.mean(axis=0)
_, _, vt = np.linalg.svd(xtr - mean, full_matrices=False)
w = vt[:K]  # the first K principal axes
rec = (xte - mean) @ w.T @ w + mean
pca = float(np.mean((rec - xte) ** 2))
clipped = float(np.mean((np.clip(rec, 0, 1) - xte) ** 2))
print(f"test reconstruction MSE with a {K}-number code: autoencoder ({EPOCHS} epochs) {d['test_loss']:.5f}, "
      f"PCA {pca:.5f} ({clipped:.5f} clipped to [0, 1]); autoencoder/PCA {d['test_loss'] / pca:.3f}; "
      f"{d['seconds_per_epoch']:.2f} s per epoch")
