"""gpt2_files.py DIR — small GPT-2-shaped checkpoints in Hugging Face's
layout, written from the PyTorch reference (gpt2_ref.py) with random
weights, for tests/gpt2_import.sh: the vocabulary of GPT-2 (50,257), a
context of 32, width 16, 2 blocks of 2 heads. Conv1D weights are stored
(in, out) as GPT-2's are. Variants: F32 with the "transformer." prefix, the
old attn.bias buffers and a tied lm_head.weight (GPT2LMHeadModel); F16 and
BF16 without a prefix (GPT2Model); and broken ones (a tensor missing, one
misshapen, a NaN in F16, a third block). Also the description of that
shape (gpt2_small.dc) and, per variant, the reference model's logits for
a fixed sequence and its greedy continuation of it (ref_*.json)."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_edit  # noqa: E402
from gpt2_ref import GPT, block_names  # noqa: E402

out = sys.argv[1]
torch.manual_seed(3)
V, T, C, L, H = 50257, 32, 16, 2, 2
model = GPT(V, T, C, L, H)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.add_(0.1 * torch.randn_like(p))  # biases and norms away from 0 and 1; weights larger: a decisive argmax


def hf_tensors(m):
    """name -> float32 array, in GPT-2's names and layout."""
    t = {"wte.weight": m.wte.weight, "wpe.weight": m.wpe.weight, "ln_f.weight": m.ln_f.weight, "ln_f.bias": m.ln_f.bias}
    for k, b in enumerate(m.h):
        for ours, p in block_names(b).items():
            conv = ours.endswith(".weight") and ("c_attn" in ours or "c_proj" in ours or "c_fc" in ours)
            t[f"h.{k}.{ours}"] = p.t() if conv else p
    return {k: v.detach().numpy().astype(np.float32) for k, v in t.items()}


def encode(arr, dtype):
    if dtype == "F32":
        return arr.astype("<f4").tobytes()
    if dtype == "F16":
        return arr.astype("<f2").tobytes()
    bits = arr.astype("<f4").view("<u4")  # BF16: round to nearest even
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    return bits.tobytes()


def decode(arr, dtype):
    if dtype == "F32":
        return arr
    if dtype == "F16":
        return arr.astype(np.float16).astype(np.float32)
    return np.frombuffer(encode(arr, "BF16"), "<u2").astype("<u4").__lshift__(16).view("<f4").reshape(arr.shape)


def write(path, tensors, dtype, prefix="", extra=None):
    items = {prefix + k: (dtype, list(v.shape), encode(v, dtype)) for k, v in tensors.items()}
    items.update({k: (dt, sh, by) for k, dt, sh, by in extra or []})
    st_edit.write(path, {"format": "pt"}, items)


def reference(tensors, dtype):
    """logits for ids 0..T-1 (scrambled) and the greedy continuation of the first 5 of them."""
    m = GPT(V, T, C, L, H)
    with torch.no_grad():
        named = {"wte.weight": m.wte.weight, "wpe.weight": m.wpe.weight, "ln_f.weight": m.ln_f.weight, "ln_f.bias": m.ln_f.bias}
        for k, b in enumerate(m.h):
            for ours, p in block_names(b).items():
                named[f"h.{k}.{ours}"] = p
        for k, p in named.items():
            v = torch.tensor(decode(tensors[k], dtype))
            conv = k.endswith(".weight") and ("c_attn" in k or "c_proj" in k or "c_fc" in k)
            p.copy_(v.t() if conv else v)
    m.eval()
    ids = torch.tensor([[(i * 7919) % V for i in range(T)]])
    with torch.no_grad():
        logits = m(ids)[0]
        seq = [15496, 11, 314, 1101, 257]  # "Hello, I'm a"
        for _ in range(12):
            seq.append(int(m(torch.tensor([seq[-T:]]))[0, -1].argmax()))
    return {"ids": ids[0].tolist(), "logits": logits.numpy().ravel().tolist(), "greedy": seq}


t = hf_tensors(model)
buffers = [(f"transformer.h.{k}.attn.bias", "F32", [1, 1, T, T], np.tril(np.ones((T, T), np.float32)).tobytes()) for k in range(L)]
buffers.append(("lm_head.weight", "F32", [V, C], encode(t["wte.weight"], "F32")))
write(f"{out}/hf_f32.safetensors", t, "F32", "transformer.", buffers)
write(f"{out}/hf_f16.safetensors", t, "F16")
write(f"{out}/hf_bf16.safetensors", t, "BF16")
for dt in ("F32", "F16", "BF16"):
    json.dump(reference(t, dt), open(f"{out}/ref_{dt.lower()}.json", "w"))
# broken files
missing = dict(t)
del missing["h.1.mlp.c_fc.bias"]
write(f"{out}/hf_missing.safetensors", missing, "F32")
bad = dict(t)
bad["h.0.attn.c_attn.weight"] = t["h.0.attn.c_attn.weight"].T.copy()  # (3C, C): not the Conv1D layout
write(f"{out}/hf_shape.safetensors", bad, "F32")
nan = {k: v.copy() for k, v in t.items()}
nan["h.1.ln_2.weight"][3] = np.nan
write(f"{out}/hf_nan.safetensors", nan, "F16")
more = dict(t)
for k in [k for k in t if k.startswith("h.1.")]:
    more["h.2." + k[4:]] = t[k]
write(f"{out}/hf_more.safetensors", more, "F32")
open(f"{out}/gpt2_small.dc", "w").write(
    f"input {T}\nembedding {V} {C} init=normal name=wte\npositional_embedding name=wpe\nrepeat {L}\ntransformer_block {H}\nend\n"
    f"layer_norm name=ln_f\ndense {V} tie=wte use_bias=false activation=softmax name=lm_head\nloss categorical_crossentropy\n"
    f"text level=bpe vocab={sys.argv[2]}/encoder.json merges={sys.argv[2]}/vocab.bpe maxlen={T} target=stream\n")
