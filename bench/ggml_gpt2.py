"""ggml_gpt2.py DEEPC_GPT2.safetensors ENCODER_JSON OUT.bin — the same
random-weight GPT-2 small deepc runs (models/gpt2.dc, saved by
bench/gpt2_generate with DEEPC_SAVE) as a file of ggml's gpt-2 example
(examples/gpt-2, the legacy "ggml" format its loader reads: magic, hparams,
vocabulary, then each tensor's dims, name and F32 data), so that both
engines generate from identical weights. deepc's matrices are (out, in),
as torch.nn.Linear: ggml's ne0 is `in`, so the data is written as it is."""
import json
import struct
import sys

import numpy as np


def byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    body = memoryview(raw)[8 + n:]
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", k
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(body[a:b], dtype=np.float32).reshape(v["shape"])
    return out


def ggml_name(k):
    if k == "wte.weight":
        return "model/wte"
    if k == "wpe.weight":
        return "model/wpe"
    if k.startswith("ln_f."):
        return "model/ln_f/" + ("g" if k.endswith("weight") else "b")
    block, rest = k.split(".", 1)  # transformer_block_N.attn.c_attn.weight
    i = 0 if block == "transformer_block" else int(block.rsplit("_", 1)[1])
    part, what = rest.rsplit(".", 1)
    if part.startswith("ln_"):
        return "model/h%d/%s/%s" % (i, part, "g" if what == "weight" else "b")
    return "model/h%d/%s/%s" % (i, part.replace(".", "/"), "w" if what == "weight" else "b")


def main():
    t = read_safetensors(sys.argv[1])
    enc = json.load(open(sys.argv[2], encoding="utf-8"))
    dec = byte_decoder()
    V, E = t["wte.weight"].shape
    L = 1 + max(int(k.split(".")[0].rsplit("_", 1)[1]) for k in t if k.startswith("transformer_block_"))
    with open(sys.argv[3], "wb") as f:
        f.write(struct.pack("iiiiiii", 0x67676D6C, V, t["wpe.weight"].shape[0], E, E // 64, L, 0))  # ftype 0: F32
        f.write(struct.pack("i", len(enc)))
        for tok, _ in sorted(enc.items(), key=lambda kv: kv[1]):
            b = bytes(dec[c] for c in tok)
            f.write(struct.pack("i", len(b)))
            f.write(b)
        for k, a in t.items():
            name = ggml_name(k).encode()
            f.write(struct.pack("iii", a.ndim, len(name), 0))
            for d in reversed(a.shape):  # ne0 first: the innermost dimension
                f.write(struct.pack("i", d))
            f.write(name)
            f.write(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    print("%s: %d tensors, %d layers, vocabulary %d" % (sys.argv[3], len(t), L, len(enc)))


main()
