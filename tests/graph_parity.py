"""graph_parity.py — the graph models of test_graph_parity.c in PyTorch, with
deepc's weights and (for the VAE) its sampling noise: loss, loss parts, every
gradient and one Adam step must agree (rtol 1e-4)."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity_check import close as compare, summary
from st_read import read

torch.set_num_threads(1)
T, _ = read(sys.argv[1])


def close(name, ours, ref, rtol=1e-4, atol=1e-5):
    compare(name, ours, ref, rtol, atol)


def params(prefix):
    names = [k[len(prefix) + 1:] for k in T if k.startswith(prefix + ".") and k.endswith((".weight", ".bias"))
             and not k.startswith((prefix + ".grad.", prefix + ".after."))]
    return {n: torch.tensor(T[f"{prefix}.{n}"], requires_grad=True) for n in names}


def lin(p, name, x):
    return F.linear(x, p[name + ".weight"], p[name + ".bias"])


def check(prefix, p, loss, parts):
    close(f"{prefix} loss", T[f"{prefix}.loss"], loss)
    for k, v in parts.items():
        close(f"{prefix} part {k}", T[f"{prefix}.part.{k}"], v)
    loss.backward()
    for n, t in p.items():
        close(f"{prefix} grad {n}", T[f"{prefix}.grad.{n}"], t.grad)
    opt = torch.optim.Adam(p.values(), lr=0.01)
    opt.step()
    for n, t in p.items():
        close(f"{prefix} after one Adam step {n}", T[f"{prefix}.after.{n}"], t)


# residual block: relu(h + f(h)) -> softmax, cross-entropy on the labels
p = params("res")
x, y = torch.tensor(T["res.x"]), torch.tensor(T["res.y"]).long()
h = torch.relu(lin(p, "h", x))
f = lin(p, "f", torch.relu(lin(p, "a", h)))
logits = lin(p, "out", torch.relu(h + f))
check("res", p, F.cross_entropy(logits, y), {})

# VAE: BCE summed over the inputs + KL, averaged over the batch
p = params("vae")
x, eps = torch.tensor(T["vae.x"]), torch.tensor(T["vae.eps"])
enc = torch.relu(lin(p, "encoder", x))
mu, logvar = lin(p, "mu", enc), lin(p, "logvar", enc)
z = mu + torch.exp(0.5 * logvar) * eps
logits = lin(p, "image", torch.relu(lin(p, "decoder", z)))
rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.shape[0]
check("vae", p, rec + kl, {"reconstruction": rec, "kl": kl})

sys.exit(summary("graph_parity"))
