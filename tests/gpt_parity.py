"""gpt_parity.py FILE — PyTorch's side of test_gpt_parity.c: the reference
GPT-2 (gpt2_ref.py) with deepc's weights gives the same logits, loss and
gradient of every tensor, and the same weights after five AdamW steps; an
Embedding + torch.nn.TransformerEncoderLayer with a key padding mask gives
the same outputs and gradients as deepc's transformer_encoder."""
import sys

import torch
import torch.nn.functional as F

from gpt2_ref import GPT, deepc_names
from parity_check import close, summary
from st_read import read

torch.set_num_threads(1)
t, _ = read(sys.argv[1])

# ---- the GPT: logits, loss, gradients, AdamW steps
pre = lambda p: {k[len(p):]: v for k, v in t.items() if k.startswith(p)}
m = GPT(vocab=11, context=8, C=16, layers=2, heads=2)
m.load_deepc(pre("gpt.before."))
ids = torch.tensor(t["gpt.ids"]).long()
tg = torch.tensor(t["gpt.targets"]).long()
logits = m(ids)
close("gpt logits", t["gpt.logits"], logits, rtol=1e-4, atol=1e-5)
loss = F.cross_entropy(logits.reshape(-1, 11), tg.reshape(-1))
close("gpt loss", t["gpt.loss"], loss.reshape(1), rtol=1e-5, atol=1e-6)
loss.backward()
names = deepc_names(m)
for name, p in names.items():
    close("gpt grad " + name, t["gpt.grad." + name], p.grad, rtol=1e-3, atol=1e-5)
opt = torch.optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.1)
for _ in range(5):
    opt.zero_grad()
    F.cross_entropy(m(ids).reshape(-1, 11), tg.reshape(-1)).backward()
    opt.step()
for name, p in names.items():
    close("gpt after 5 AdamW steps " + name, t["gpt.after." + name], p, rtol=1e-3, atol=1e-5)

# ---- the encoder layer (post-norm, relu), padded keys hidden
w = pre("enc.w.")
emb = torch.nn.Embedding(7, 16, padding_idx=0)
enc = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
pairs = {"embedding.weight": emb.weight, "transformer_encoder.attn.c_attn.weight": enc.self_attn.in_proj_weight,
         "transformer_encoder.attn.c_attn.bias": enc.self_attn.in_proj_bias,
         "transformer_encoder.attn.c_proj.weight": enc.self_attn.out_proj.weight,
         "transformer_encoder.attn.c_proj.bias": enc.self_attn.out_proj.bias,
         "transformer_encoder.ln_1.weight": enc.norm1.weight, "transformer_encoder.ln_1.bias": enc.norm1.bias,
         "transformer_encoder.ln_2.weight": enc.norm2.weight, "transformer_encoder.ln_2.bias": enc.norm2.bias,
         "transformer_encoder.mlp.c_fc.weight": enc.linear1.weight, "transformer_encoder.mlp.c_fc.bias": enc.linear1.bias,
         "transformer_encoder.mlp.c_proj.weight": enc.linear2.weight, "transformer_encoder.mlp.c_proj.bias": enc.linear2.bias}
with torch.no_grad():
    for name, p in pairs.items():
        p.copy_(torch.tensor(w[name]))
eids = torch.tensor(t["enc.ids"]).long()
enc.eval()  # (dropout is 0; eval also keeps torch off its fused fast path's training checks)
enc.train()
y = enc(emb(eids), src_key_padding_mask=eids == 0)
close("encoder outputs", t["enc.y"], y, rtol=1e-4, atol=1e-5)
(y * torch.tensor(t["enc.gy"])).sum().backward()
g = pre("enc.grad.")
for name, p in pairs.items():
    gr = p.grad.clone()
    if name == "embedding.weight":
        gr[0] = 0  # the padding row: deepc's mask_zero gives it no gradient, as padding_idx does
    close("encoder grad " + name, g[name], gr, rtol=1e-3, atol=1e-5)
sys.exit(summary("gpt_parity (PyTorch side)"))
