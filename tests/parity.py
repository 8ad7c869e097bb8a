"""parity.py — compare deepc's results (written by test_parity) with
PyTorch's on the same inputs: outputs and gradients of Dense, every
activation and loss, and 10 steps of each optimizer. rtol 1e-5."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from st_read import read

torch.set_num_threads(1)
T, _ = read(sys.argv[1])
passed = failed = 0


def close(name, ours, ref, rtol=1e-5, atol=1e-6):
    global passed, failed
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    ours = np.asarray(ours).reshape(ref.shape)
    if np.allclose(ours, ref, rtol=rtol, atol=atol):
        passed += 1
    else:
        failed += 1
        err = np.max(np.abs(ours - ref) / (atol + rtol * np.abs(ref)))
        print(f"FAIL {name}: max error {err:.3g} x tolerance\n  deepc {ours.ravel()[:6]}\n  torch {ref.ravel()[:6]}")


def t(name, grad=False):
    return torch.tensor(T[name], requires_grad=grad)


# Dense: torch.nn.Linear with the same weight (out, in) and bias
x, w, b = t("dense.x", True), t("dense.w", True), t("dense.b", True)
lin = torch.nn.Linear(w.shape[1], w.shape[0])
with torch.no_grad():
    lin.weight.copy_(w)
    lin.bias.copy_(b)
out = lin(x)
(out * t("dense.gout")).sum().backward()
close("dense.out", T["dense.out"], out)
close("dense.dx", T["dense.dx"], x.grad)
close("dense.dw", T["dense.dw"], lin.weight.grad)
close("dense.db", T["dense.db"], lin.bias.grad)

acts = {
    "relu": torch.nn.ReLU(),
    "leaky_relu": torch.nn.LeakyReLU(0.1),
    "sigmoid": torch.nn.Sigmoid(),
    "tanh": torch.nn.Tanh(),
    "gelu": torch.nn.GELU(),
    "softmax": torch.nn.Softmax(dim=-1),
    "log_softmax": torch.nn.LogSoftmax(dim=-1),
}
for name, fn in acts.items():
    x = t(f"act.{name}.x", True)
    out = fn(x)
    (out * t(f"act.{name}.gout")).sum().backward()
    close(f"{name} output", T[f"act.{name}.out"], out)
    close(f"{name} gradient", T[f"act.{name}.dx"], x.grad)


def loss_check(name, fn, target_key="target"):
    p = t(f"loss.{name}.pred", True)
    if target_key == "labels":
        tgt = torch.tensor(T[f"loss.{name}.labels"]).long()
    else:
        tgt = t(f"loss.{name}.target")
    v = fn(p, tgt)
    v.backward()
    close(f"{name} value", T[f"loss.{name}.value"], v.reshape(1))
    close(f"{name} gradient", T[f"loss.{name}.dpred"], p.grad)


loss_check("mse", torch.nn.MSELoss())
loss_check("bce", torch.nn.BCELoss())
loss_check("bce_logits", torch.nn.BCEWithLogitsLoss())
loss_check("ce_logits_labels", torch.nn.CrossEntropyLoss(), "labels")
loss_check("ce_logits_soft", torch.nn.CrossEntropyLoss())  # probability targets (torch >= 1.10)
loss_check("ce_probs_labels", lambda p, y: F.nll_loss(torch.log(p.clamp(1e-7, 1.0)), y), "labels")

# optimizers: replay 10 steps on the recorded problem
x = t("opt.x")
labels = torch.tensor(T["opt.labels"]).long()
configs = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum_wd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
    "adam_custom": lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
}
for name, make in configs.items():
    ps = [t(f"opt.init.{k}", True) for k in ("w1", "b1", "w2", "b2")]
    opt = make(ps)
    for _ in range(10):
        opt.zero_grad()
        h = F.relu(F.linear(x, ps[0], ps[1]))
        F.cross_entropy(F.linear(h, ps[2], ps[3]), labels).backward()
        opt.step()
    for k, p in zip(("w1", "b1", "w2", "b2"), ps):
        close(f"{name} after 10 steps: {k}", T[f"opt.{name}.{k}"], p)

print(f"parity: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
