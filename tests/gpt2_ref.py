"""gpt2_ref.py — a reference GPT-2 in PyTorch, written from the GPT-2 paper
and OpenAI's model code (as nanoGPT and llm.c's train_gpt2.py are): token
and position embeddings, pre-norm blocks of causal multi-head attention
(fused c_attn, c_proj) and a GELU (tanh) MLP, a final layer norm and an
output layer tied to the token embedding. Tensors are named as Hugging
Face's GPT-2 (h.N.ln_1.weight, ...), but stored (out, in) as torch.nn.Linear
does (GPT-2's own files keep Conv1D weights transposed). The parity test
(gpt_parity.py) and the benchmark (bench/gpt.py) use it."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, H, F_, dropout=0.0, eps=1e-5):
        super().__init__()
        self.H = H
        self.ln_1 = nn.LayerNorm(C, eps=eps)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=eps)
        self.c_fc = nn.Linear(C, F_)
        self.mlp_proj = nn.Linear(F_, C)
        self.drop = nn.Dropout(dropout)
        self.p = dropout

    def attention(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.H)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        att = F.dropout(att, self.p, self.training)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.drop(self.c_proj(y))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")))


class GPT(nn.Module):
    def __init__(self, vocab, context, C, layers, heads, ff=None, dropout=0.0):
        super().__init__()
        self.wte = nn.Embedding(vocab, C)
        self.wpe = nn.Embedding(context, C)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList(Block(C, heads, ff or 4 * C, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(C)
        for name, p in self.named_parameters():  # GPT-2's initialization (as deepc's: N(0, 0.02), zero biases)
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln" in name:
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.drop(self.wte(ids) + self.wpe(torch.arange(T, device=ids.device)))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()  # the tied output layer

    def load_deepc(self, t, prefix=""):
        """Weights from deepc's tensor names (t: name -> array): wte, wpe,
        transformer_block[_k].*, ln_f."""
        with torch.no_grad():
            self.wte.weight.copy_(torch.tensor(t[prefix + "wte.weight"]))
            self.wpe.weight.copy_(torch.tensor(t[prefix + "wpe.weight"]))
            self.ln_f.weight.copy_(torch.tensor(t[prefix + "ln_f.weight"]))
            self.ln_f.bias.copy_(torch.tensor(t[prefix + "ln_f.bias"]))
            for k, b in enumerate(self.h):
                for ours, mod in block_names(b).items():
                    mod.copy_(torch.tensor(t[prefix + ("transformer_block" + (f"_{k}" if k else "")) + "." + ours]))


def block_names(b):
    """deepc's name of each tensor of a block -> the tensor."""
    return {"ln_1.weight": b.ln_1.weight, "ln_1.bias": b.ln_1.bias, "attn.c_attn.weight": b.c_attn.weight,
            "attn.c_attn.bias": b.c_attn.bias, "attn.c_proj.weight": b.c_proj.weight, "attn.c_proj.bias": b.c_proj.bias,
            "ln_2.weight": b.ln_2.weight, "ln_2.bias": b.ln_2.bias, "mlp.c_fc.weight": b.c_fc.weight,
            "mlp.c_fc.bias": b.c_fc.bias, "mlp.c_proj.weight": b.mlp_proj.weight, "mlp.c_proj.bias": b.mlp_proj.bias}


def deepc_names(model):
    """deepc's name -> parameter, for every parameter of a GPT."""
    out = {"wte.weight": model.wte.weight, "wpe.weight": model.wpe.weight, "ln_f.weight": model.ln_f.weight,
           "ln_f.bias": model.ln_f.bias}
    for k, b in enumerate(model.h):
        for ours, p in block_names(b).items():
            out[("transformer_block" + (f"_{k}" if k else "")) + "." + ours] = p
    return out
