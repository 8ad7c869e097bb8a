"""seq_torch.py MODEL IO — a deepc model Embedding(mask_zero) → 2-layer
bidirectional LSTM → Dense(sigmoid), saved by test_seq.c, loaded into
torch.nn modules with load_state_dict (deepc's tensor names are PyTorch's),
predicts what deepc predicted on post-padded sequences (packed, as the mask
makes deepc skip the padding)."""
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from parity_check import close, summary
from st_read import read

torch.set_num_threads(1)
weights, meta = read(sys.argv[1])
io, _ = read(sys.argv[2])


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        v, e = weights["embedding.weight"].shape
        h = weights["lstm.weight_hh_l0"].shape[1]
        self.embedding = torch.nn.Embedding(v, e, padding_idx=0)
        self.lstm = torch.nn.LSTM(e, h, num_layers=2, bidirectional=True, batch_first=True)
        self.dense = torch.nn.Linear(2 * h, 1)

    def forward(self, ids):
        lengths = (ids != 0).sum(1)
        _, (hn, _) = self.lstm(pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False))
        return torch.sigmoid(self.dense(torch.cat((hn[-2], hn[-1]), 1))).squeeze(1)


m = Model()
missing = m.load_state_dict({k: torch.tensor(v) for k, v in weights.items()}, strict=True)
m.eval()
with torch.no_grad():
    p = m(torch.tensor(io["x"]).long())
close("torch predictions of the saved deepc BiLSTM", io["p"], p, rtol=1e-4, atol=1e-5)
sys.exit(summary("seq_torch"))
