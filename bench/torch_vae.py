"""torch_vae.py THREADS EPOCHS LATENT — the PyTorch reference VAE for
models/fashion_vae.dc: encoder Linear(784, 512) ReLU -> mu, logvar (LATENT
each), z = mu + exp(logvar/2) eps, decoder Linear(LATENT, 512) ReLU ->
Linear(512, 784) sigmoid; loss = BCE summed over the pixels + KL, averaged
over the batch; Adam 1e-3, batch 128, all 60,000 training images, tensors
in memory. Prints one JSON line: median seconds per epoch and the test
negative ELBO per image (one sample of z per image, as deepc)."""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from common import idx

threads, epochs, latent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(42)
xtr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32) / 255.0
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32) / 255.0


class VAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.mu, self.logvar = torch.nn.Linear(784, 512), torch.nn.Linear(512, latent), torch.nn.Linear(512, latent)
        self.dec, self.out = torch.nn.Linear(latent, 512), torch.nn.Linear(512, 784)

    def forward(self, x):
        h = torch.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.out(torch.relu(self.dec(z))), mu, logvar


def loss_fn(logits, x, mu, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (rec + kl) / x.shape[0]


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
times = []
for e in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(len(xtr))
    for s in range(0, len(xtr), 128):
        x = xtr[perm[s:s + 128]]
        opt.zero_grad()
        logits, mu, logvar = model(x)
        loss = loss_fn(logits, x, mu, logvar)
        loss.backward()
        opt.step()
    times.append(time.perf_counter() - t0)
with torch.no_grad():
    total = 0.0
    for s in range(0, len(xte), 1000):
        x = xte[s:s + 1000]
        logits, mu, logvar = model(x)
        total += loss_fn(logits, x, mu, logvar).item() * len(x)
print(json.dumps({"seconds_per_epoch": statistics.median(times), "test_loss": total / len(xte)}))
