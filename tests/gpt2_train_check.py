"""gpt2_train_check.py CHECKPOINT DEEPC_OUT — the other half of
test_gpt_parity's hf mode, as llm.c's test_gpt2.c checks its port: the
reference GPT-2 (gpt2_ref.py) loaded from the Hugging Face checkpoint gives
deepc's loss, every gradient (under deepc's names; Conv1D weights
compared in deepc's (out, in) layout) and the weights after five AdamW
steps on the same ids and targets."""
import sys

import torch
import torch.nn.functional as F

from gpt2_ref import GPT, deepc_names
from parity_check import close, summary
from st_read import read

torch.set_num_threads(1)
hf, _ = read(sys.argv[1])
ours, _ = read(sys.argv[2])
hf = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in hf.items()}
m = GPT(50257, 32, 16, 2, 2)
names = deepc_names(m)
with torch.no_grad():
    for name, p in names.items():
        k = name
        if name.startswith("transformer_block"):
            blk = name.split(".")[0]
            idx = int(blk.split("_")[-1]) if "_" in blk[len("transformer_block"):] else 0
            k = f"h.{idx}." + name[len(blk) + 1:]
        v = torch.tensor(hf[k])
        conv = k.endswith(".weight") and ("c_attn" in k or "c_proj" in k or "c_fc" in k)
        p.copy_(v.t() if conv else v)
B, T, V = 2, 32, 50257
ids = torch.tensor([(i * 7919 + 13) % V for i in range(B * T)]).reshape(B, T)
tg = torch.tensor([(i * 104729 + 7) % V for i in range(B * T)]).reshape(B, T)
loss = F.cross_entropy(m(ids).reshape(-1, V), tg.reshape(-1))
close("imported loss", ours["hf.loss"], loss.reshape(1), rtol=1e-5, atol=1e-6)
loss.backward()
for name, p in names.items():
    close("imported grad " + name, ours["hf.grad." + name], p.grad, rtol=1e-3, atol=1e-6)
opt = torch.optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.1)
for _ in range(5):
    opt.zero_grad()
    F.cross_entropy(m(ids).reshape(-1, V), tg.reshape(-1)).backward()
    opt.step()
C = 16
for name, p in names.items():
    want, got = p.detach(), torch.tensor(ours["hf.after." + name])
    if name.endswith("attn.c_attn.bias"):
        # The key bias adds the same q.b to every score of a row, which the
        # softmax cancels: its gradient is zero but for rounding, and Adam
        # scales that noise to steps of +-lr whatever its size. It is held
        # to the 5 steps' reach; the query and value biases to the usual tolerance.
        close("imported, 5 AdamW steps " + name + " (keys)", got[C:2 * C], want[C:2 * C], rtol=0, atol=5 * 0.01 * 1.01)
        want, got = torch.cat([want[:C], want[2 * C:]]), torch.cat([got[:C], got[2 * C:]])
    close("imported, 5 AdamW steps " + name, got, want, rtol=1e-3, atol=1e-5)
sys.exit(summary("gpt2_train_check (PyTorch side)"))
