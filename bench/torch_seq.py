"""torch_seq.py MODEL THREADS CSV [ROWS] — PyTorch's side of bench/seq.py: the
same network as models/MODEL.dc (lstm: Embedding(10000, 32) -> LSTM(128) ->
Dense(1, sigmoid); gru: the same with a GRU; bilstm: Embedding(10000, 100) ->
2-layer bidirectional LSTM 128, dropout 0.5 -> Dense(1, sigmoid)), trained one
epoch (batch 64, Adam 1e-3) on token ids already in memory, then batch-1
prediction latency of one 200-token text. The text is tokenized as Keras
does (word counts, ids by frequency, the 10000 most frequent, pre-padding to
200): the loop, not the tokenizer, is what is timed. Prints one JSON line."""
import collections
import csv
import json
import sys
import time

import torch

name, threads, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = int(sys.argv[4]) if len(sys.argv) > 4 else None
torch.set_num_threads(threads)
torch.manual_seed(1)
texts, labels = [], []
with open(path, newline="") as f:
    for i, r in enumerate(csv.DictReader(f)):
        if rows is not None and i >= rows:
            break
        texts.append(r["text"].split())
        labels.append(float(r["label"]))
counts = collections.Counter(w for t in texts for w in t)
index = {w: i + 2 for i, (w, _) in enumerate(counts.most_common(9998))}  # 0 pad, 1 OOV
MAXLEN = 200
ids = torch.zeros(len(texts), MAXLEN, dtype=torch.long)
for n, t in enumerate(texts):
    seq = [index.get(w, 1) for w in t][-MAXLEN:]
    if seq:
        ids[n, MAXLEN - len(seq):] = torch.tensor(seq)
y = torch.tensor(labels).unsqueeze(1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        emb, bi, layers = (100, True, 2) if name == "bilstm" else (32, False, 1)
        self.emb = torch.nn.Embedding(10000, emb, padding_idx=0)
        cell = torch.nn.GRU if name == "gru" else torch.nn.LSTM
        self.rnn = cell(emb, 128, num_layers=layers, bidirectional=bi, batch_first=True,
                        dropout=0.5 if layers > 1 else 0.0)
        self.out = torch.nn.Linear(256 if bi else 128, 1)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        if name == "bilstm":  # forward's last step, backward's first
            h = torch.cat([h[:, -1, :128], h[:, 0, 128:]], 1)
        else:
            h = h[:, -1]
        return torch.sigmoid(self.out(h))


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = torch.nn.BCELoss()
t0 = time.perf_counter()
net.train()
for b in range(0, len(texts), 64):
    opt.zero_grad()
    loss = loss_fn(net(ids[b:b + 64]), y[b:b + 64])
    loss.backward()
    opt.step()
epoch = time.perf_counter() - t0
net.eval()
lat = []
with torch.no_grad():
    for _ in range(30):
        t0 = time.perf_counter()
        net(ids[:1])
        lat.append(time.perf_counter() - t0)
lat.sort()
print(json.dumps({"epoch_seconds": epoch, "latency_ms": 1000 * lat[len(lat) // 2]}))
