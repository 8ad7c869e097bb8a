"""parity.py — compare deepc's results (written by test_parity) with
PyTorch's on the same inputs: outputs and gradients of Dense, every
activation and loss, and 20 steps of every optimizer, schedule, clipping and
regularization case. rtol 1e-5."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity_check import close as compare, summary
from st_read import read

torch.set_num_threads(1)
T, _ = read(sys.argv[1])


def close(name, ours, ref, rtol=1e-5, atol=1e-6):
    compare(name, ours, ref, rtol, atol)


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

# a loss line with soft targets: a model's softmax (or linear) head against
# probability rows, as torch's cross_entropy with probability targets
for name in ("soft_softmax", "soft_linear"):
    w, b = t(f"{name}.w", True), t(f"{name}.b", True)
    v = F.cross_entropy(F.linear(t(f"{name}.x"), w, b), t(f"{name}.target"))
    v.backward()
    close(f"{name} value", T[f"{name}.value"], v.reshape(1))
    close(f"{name} dW", T[f"{name}.dw"], w.grad)
    close(f"{name} db", T[f"{name}.db"], b.grad)

# convolution (torch.nn.functional.conv2d / conv1d), pooling, batch norm
for name, kw in (("conv_a", dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))), ("conv_b", dict(padding=1, groups=2)), ("conv1d", {})):
    x, w, b = t(f"{name}.x", True), t(f"{name}.w", True), t(f"{name}.b", True)
    if name == "conv1d":  # stored as (N, C, 1, L) and (OC, C, 1, K): compare with the 1-D op
        out = F.conv1d(x.squeeze(2), w.squeeze(2), b).unsqueeze(2)
    else:
        out = F.conv2d(x, w, b, **kw)
    (out * t(f"{name}.gout")).sum().backward()
    close(f"{name} output", T[f"{name}.out"], out, rtol=1e-5, atol=1e-5)
    close(f"{name} dx", T[f"{name}.dx"], x.grad, rtol=1e-5, atol=1e-5)
    close(f"{name} dw", T[f"{name}.dw"], w.grad, rtol=1e-5, atol=1e-5)
    close(f"{name} db", T[f"{name}.db"], b.grad, rtol=1e-5, atol=1e-5)
for name, fn in (("maxpool", lambda x: F.max_pool2d(x, 3, 2, 1)), ("avgpool", lambda x: F.avg_pool2d(x, 2, 2))):
    x = t(f"{name}.x", True)
    out = fn(x)
    (out * t(f"{name}.gout")).sum().backward()
    close(f"{name} output", T[f"{name}.out"], out)
    close(f"{name} dx", T[f"{name}.dx"], x.grad)
ops = {
    "gap": lambda x: torch.nn.AdaptiveAvgPool2d(1)(x).flatten(1),
    "gmp": lambda x: torch.nn.AdaptiveMaxPool2d(1)(x).flatten(1),
    "zpad": lambda x: torch.nn.ZeroPad2d((0, 1, 1, 2))(x),  # (left, right, top, bottom)
    "maxpool1d": lambda x: torch.nn.MaxPool1d(3, 2, 1)(x),
}
for name, fn in ops.items():
    x = t(f"{name}.x", True)
    out = fn(x)
    (out * t(f"{name}.gout")).sum().backward()
    close(f"{name} output", T[f"{name}.out"], out)
    close(f"{name} dx", T[f"{name}.dx"], x.grad)
bn1 = torch.nn.BatchNorm1d(4, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn1.weight.copy_(t("bn1.gamma"))
    bn1.bias.copy_(t("bn1.beta"))
x = t("bn1.x", True)
out = bn1(x)
(out * t("bn1.gout")).sum().backward()
close("batchnorm1d output", T["bn1.out"], out, atol=1e-5)
close("batchnorm1d dx", T["bn1.dx"], x.grad, atol=1e-5)
close("batchnorm1d dgamma", T["bn1.dgamma"], bn1.weight.grad, atol=1e-5)
close("batchnorm1d running var", T["bn1.running_var"], bn1.running_var)

bn = torch.nn.BatchNorm2d(3, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(t("bn.gamma"))
    bn.bias.copy_(t("bn.beta"))
x = t("bn.x", True)
bn.train()
out = bn(x)
(out * t("bn.gout")).sum().backward()
close("batchnorm training output", T["bn.out"], out, atol=1e-5)
close("batchnorm dx", T["bn.dx"], x.grad, atol=1e-5)
close("batchnorm dgamma", T["bn.dgamma"], bn.weight.grad, atol=1e-5)
close("batchnorm dbeta", T["bn.dbeta"], bn.bias.grad, atol=1e-5)
with torch.no_grad():
    bn(t("bn.x2"))
    bn.eval()
    ev = bn(t("bn.x"))
close("batchnorm running mean", T["bn.running_mean"], bn.running_mean)
close("batchnorm running var", T["bn.running_var"], bn.running_var)
close("batchnorm eval output", T["bn.eval_out"], ev, atol=1e-5)

# optimizers, schedules, clipping, regularization: replay 20 steps per case
x = t("opt.x")
labels = torch.tensor(T["opt.labels"]).long()
O = torch.optim
S = torch.optim.lr_scheduler
cases = {
    "sgd": (lambda ps: O.SGD(ps, lr=0.1), None),
    "sgd_momentum_wd": (lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01), None),
    "sgd_nesterov": (lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, nesterov=True), None),
    "sgd_dampening": (lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3), None),
    "adam": (lambda ps: O.Adam(ps, lr=0.01), None),
    "adam_custom": (lambda ps: O.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None),
    "adam_amsgrad": (lambda ps: O.Adam(ps, lr=0.01, amsgrad=True), None),
    "adamw": (lambda ps: O.AdamW(ps, lr=0.01), None),
    "adamw_amsgrad": (lambda ps: O.AdamW(ps, lr=0.01, weight_decay=0.1, amsgrad=True), None),
    "adagrad": (lambda ps: O.Adagrad(ps, lr=0.1), None),
    "adagrad_decay": (lambda ps: O.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1), None),
    "rmsprop": (lambda ps: O.RMSprop(ps, lr=0.01), None),
    "rmsprop_momentum": (lambda ps: O.RMSprop(ps, lr=0.01, momentum=0.5), None),
    "rmsprop_centered": (lambda ps: O.RMSprop(ps, lr=0.005, centered=True), None),
    "rmsprop_centered_momentum_wd": (lambda ps: O.RMSprop(ps, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01), None),
    "sched_step": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9), lambda o: S.StepLR(o, step_size=5, gamma=0.5)),
    "sched_multistep": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9), lambda o: S.MultiStepLR(o, [3, 7, 12], gamma=0.3)),
    "sched_exponential": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9), lambda o: S.ExponentialLR(o, gamma=0.9)),
    "sched_cosine": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9), lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.01)),
    "sched_cosine_restarts": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9),
                              lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001)),
    "sched_warmup_cosine": (lambda ps: O.SGD(ps, lr=0.1, momentum=0.9),
                            lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=5),
                                                         S.CosineAnnealingLR(o, T_max=10)], milestones=[5])),
    "sched_plateau": (lambda ps: O.SGD(ps, lr=0.5, momentum=0.9),
                      lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1)),
    "sgd_clipnorm": (lambda ps: O.SGD(ps, lr=0.1), None),
    "adam_clipvalue": (lambda ps: O.Adam(ps, lr=0.01), None),
    "sgd_l1_l2": (lambda ps: O.SGD(ps, lr=0.1), None),
}
for name, (make, make_sched) in cases.items():
    ps = [t(f"opt.init.{k}", True) for k in ("w1", "b1", "w2", "b2")]
    opt = make(ps)
    sched = make_sched(opt) if make_sched else None
    for _ in range(20):
        opt.zero_grad()
        h = F.relu(F.linear(x, ps[0], ps[1]))
        loss = F.cross_entropy(F.linear(h, ps[2], ps[3]), labels)
        if name == "sgd_l1_l2":
            for w in (ps[0], ps[2]):
                loss = loss + 0.01 * w.abs().sum() + 0.02 * (w * w).sum()
        loss.backward()
        if name == "sgd_clipnorm":
            torch.nn.utils.clip_grad_norm_(ps, 0.5)
        if name == "adam_clipvalue":
            torch.nn.utils.clip_grad_value_(ps, 0.05)
        opt.step()
        if isinstance(sched, S.ReduceLROnPlateau):
            sched.step(loss.item())
        elif sched:
            sched.step()
    for k, p in zip(("w1", "b1", "w2", "b2"), ps):
        close(f"{name} after 20 steps: {k}", T[f"opt.{name}.{k}"], p)

sys.exit(summary("parity"))
