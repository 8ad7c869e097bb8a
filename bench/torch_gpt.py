"""torch_gpt.py TEXT STEPS THREADS [noval] — PyTorch's side of bench/gpt.py: the
recipe of models/char_gpt.dc in nanoGPT's style, with the reference GPT-2 of
tests/gpt2_ref.py (width 128, 4 blocks of 4 heads, context 128, dropout 0.1,
output tied to the token embedding). The same data: the file's characters
(invalid UTF-8 bytes as U+FFFD, as deepc reads them), the last 10% for
validation in non-overlapping windows; random training windows of 128,
batch 32; AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on every tensor,
as deepc's), clipping at norm 1, a linear warmup from 0.01 lr over 100 steps
then a cosine to 1e-4 over 1900, stepped per batch as deepc's schedule is.
Prints JSON: validation loss every 500 steps and at the end (not with
noval), training tokens/s, and generation speed at batch 1 with and
without a KV cache."""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, "tests")
from gpt2_ref import GPT  # noqa: E402

path, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
noval = len(sys.argv) > 4 and sys.argv[4] == "noval"
torch.set_num_threads(threads)
torch.manual_seed(1)
text = open(path, "rb").read().decode("utf-8", errors="replace")
chars = sorted(set(text))
stoi = {c: i + 2 for i, c in enumerate(chars)}  # 0 padding, 1 OOV: as deepc's ids
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
ntr = int(len(data) * 0.9)
train, val = data[:ntr], data[ntr:]
T, B, V = 128, 32, 128
model = GPT(V, T, 128, 4, 4, dropout=0.1)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)


def lr_at(step):  # deepc's per-step schedule: warmup from 0.01 x lr over 100 steps, then cosine over 1900 to 1e-4
    if step < 100:
        return 1e-3 * (0.01 + 0.99 * step / 100)
    e = step - 100
    return 1e-4 + (1e-3 - 1e-4) * (1 + math.cos(math.pi * min(e, 1900) / 1900)) / 2


@torch.no_grad()
def val_loss():
    model.eval()
    n = (len(val) - 1 - T) // T + 1
    tot = 0.0
    for s in range(0, n, B):
        idx = torch.arange(s, min(n, s + B)) * T
        x = torch.stack([val[i:i + T] for i in idx])
        y = torch.stack([val[i + 1:i + T + 1] for i in idx])
        tot += F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1)).item() * len(idx)
    model.train()
    return tot / n


out = {"val_loss": {}, "train_seconds": 0.0}
model.train()
for step in range(steps):
    t0 = time.perf_counter()
    for g in opt.param_groups:
        g["lr"] = lr_at(step)
    ix = torch.randint(len(train) - T - 1, (B,))
    x = torch.stack([train[i:i + T] for i in ix])
    y = torch.stack([train[i + 1:i + T + 1] for i in ix])
    loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    out["train_seconds"] += time.perf_counter() - t0
    if not noval and ((step + 1) % 500 == 0 or step + 1 == steps):
        out["val_loss"][step + 1] = val_loss()
out["tokens_per_second"] = steps * B * T / out["train_seconds"]


@torch.no_grad()
def generate(n, cache):
    """n tokens after a one-token prompt, top-k 40 sampling at temperature 0.8."""
    model.eval()
    ids = torch.tensor([[stoi["T"]]])
    kv = [None] * len(model.h)
    t0 = time.perf_counter()
    for pos in range(n):
        if cache:  # one new position through every block, attending over the cached keys and values
            x = model.wte(ids[:, -1:]) + model.wpe(torch.tensor([pos]))
            for k, b in enumerate(model.h):
                h = b.ln_1(x)
                q, kk, vv = b.c_attn(h).split(128, dim=2)
                q, kk, vv = (z.view(1, 1, b.H, 32).transpose(1, 2) for z in (q, kk, vv))
                if kv[k] is not None:
                    kk, vv = torch.cat([kv[k][0], kk], 2), torch.cat([kv[k][1], vv], 2)
                kv[k] = (kk, vv)
                a = ((q @ kk.transpose(-2, -1)) / math.sqrt(32)).softmax(-1) @ vv
                x = x + b.c_proj(a.transpose(1, 2).reshape(1, 1, 128))
                x = x + b.mlp_proj(F.gelu(b.c_fc(b.ln_2(x)), approximate="tanh"))
            logits = model.ln_f(x) @ model.wte.weight.t()
        else:
            logits = model(ids[:, -T:])
        p = (logits[0, -1] / 0.8)
        v, _ = torch.topk(p, 40)
        p[p < v[-1]] = -float("inf")
        ids = torch.cat([ids, torch.multinomial(p.softmax(-1), 1)[None]], 1)
    return n / (time.perf_counter() - t0)


out["generate_cached_tps"] = max(generate(127, True) for _ in range(3))
out["generate_uncached_tps"] = max(generate(127, False) for _ in range(3))
print(json.dumps(out))
