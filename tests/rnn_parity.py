"""rnn_parity.py FILE — PyTorch's side of test_rnn_parity.c: torch.nn.RNN,
LSTM and GRU (one layer; the reverse direction is the second half of a
bidirectional module) over packed sequences of lengths 6, 3, 1, 4, with
deepc's weights: outputs (zeros at padding, as pad_packed_sequence gives),
final states and every gradient; and torch.nn.Embedding with padding_idx."""
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from parity_check import close, summary
from st_read import read

torch.set_num_threads(1)
t, _ = read(sys.argv[1])
for kind in ("rnn", "lstm", "gru"):
    for reverse in (False, True):
        p = kind + ("_reverse" if reverse else "")
        x = torch.tensor(t[p + ".x"], requires_grad=True)
        lengths = torch.tensor(t[p + ".lengths"]).long()
        N, T, I = x.shape
        H = t[p + ".w_hh"].shape[1]
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
        m = cls(I, H, batch_first=True, bidirectional=reverse)
        sfx = "_reverse" if reverse else ""
        with torch.no_grad():
            for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
                getattr(m, name.replace("w_", "weight_").replace("b_", "bias_") + "_l0" + sfx).copy_(torch.tensor(t[p + "." + name]))
        out, hn = m(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        y, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        h = hn[0] if kind == "lstm" else hn
        if reverse:
            y, h = y[..., H:], h[1]
        else:
            h = h[0]
        close(p + " outputs", t[p + ".y"], y)
        close(p + " final state", t[p + ".last"], h)
        L = (y * torch.tensor(t[p + ".gy"])).sum() + (h * torch.tensor(t[p + ".gl"])).sum()
        L.backward()
        close(p + " dx", t[p + ".dx"], x.grad, rtol=1e-4, atol=1e-5)
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            param = getattr(m, name.replace("w_", "weight_").replace("b_", "bias_") + "_l0" + sfx)
            close(p + " d" + name, t[p + ".d" + name], param.grad, rtol=1e-4, atol=1e-5)

e = torch.nn.Embedding(7, 4, padding_idx=0)
with torch.no_grad():
    e.weight.copy_(torch.tensor(t["embedding.w"]))
z = e(torch.tensor(t["embedding.ids"]).long())
close("embedding output", t["embedding.z"], z)
(z * torch.tensor(t["embedding.gz"])).sum().backward()
close("embedding table gradient (padding row zero)", t["embedding.dw"], e.weight.grad)
# 20 Adam steps of Embedding(mask_zero) -> LSTM -> Dense(1, sigmoid) on a
# pre-padded batch: torch reads each sequence's real tokens (packed)
ids = torch.tensor(t["train.ids"]).long()
labels = torch.tensor(t["train.labels"]).unsqueeze(1)
emb = torch.nn.Embedding(12, 5, padding_idx=0)
lstm = torch.nn.LSTM(5, 6, batch_first=True)
dense = torch.nn.Linear(6, 1)
mods = {"embedding": emb, "lstm": lstm, "dense": dense}
with torch.no_grad():
    for key, value in t.items():
        if key.startswith("before."):
            layer, what = key[7:].split(".", 1)
            getattr(mods[layer], what).copy_(torch.tensor(value))
lengths = (ids != 0).sum(1)
packed_ids = torch.zeros_like(ids)  # real tokens first, as packing wants
for n in range(ids.shape[0]):
    packed_ids[n, :lengths[n]] = ids[n, ids.shape[1] - lengths[n]:]
params = list(emb.parameters()) + list(lstm.parameters()) + list(dense.parameters())
opt = torch.optim.Adam(params, lr=0.01)
for step in range(20):
    opt.zero_grad()
    _, (hn, _) = lstm(pack_padded_sequence(emb(packed_ids), lengths, batch_first=True, enforce_sorted=False))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(dense(hn[0]), labels)
    loss.backward()
    opt.step()
for key, value in t.items():
    if key.startswith("after."):
        layer, what = key[6:].split(".", 1)
        close("20 training steps: " + key[6:], value, getattr(mods[layer], what), rtol=1e-4, atol=2e-5)
sys.exit(summary("rnn_parity"))
