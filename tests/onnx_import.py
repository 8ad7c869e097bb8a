"""onnx_import.py WORKDIR — the PyTorch half of tests/onnx_import.sh: small
models built and exported here with torch.onnx.export (opset 17, a dynamic
batch), random inputs, and PyTorch's outputs on them, raw. One line per
model in WORKDIR/torch_cases.txt: NAME DTYPE N (DTYPE: the raw input's,
float32 or int32 ids)."""
import os
import sys

import numpy as np
import torch
from torch import nn

W = sys.argv[1]
torch.manual_seed(0)
N = 7


class LastState(nn.Module):
    """embedding -> LSTM/GRU -> the last hidden state -> linear (a text classifier)"""

    def __init__(self, cell):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.rnn = cell(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        _, h = self.rnn(self.emb(x))
        h = h[0] if isinstance(h, tuple) else h
        return torch.softmax(self.fc(h[-1]), -1)


class Sequence(nn.Module):
    """embedding -> LSTM (every step) -> mean over the steps -> linear"""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(40, 6)
        self.rnn = nn.LSTM(6, 10, batch_first=True)
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return self.fc(y.mean(1))


class PreNorm(nn.Module):
    """a small pre-norm Transformer encoder over token ids"""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True, norm_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.layer(self.emb(x)).mean(1))


def bn_random(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.5, 0.5)
    return m


cases = [
    ("mlp", nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10), nn.Softmax(-1)), torch.randn(N, 1, 28, 28)),
    ("cnn_bn", bn_random(nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1, stride=2),
                                       nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(24, 10))), torch.randn(N, 1, 16, 16)),
    ("cnn_gap", nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=2), nn.Sigmoid(), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Linear(8, 4)), torch.randn(N, 3, 10, 10)),
    ("lstm_text", LastState(nn.LSTM), torch.randint(1, 50, (N, 9))),
    ("gru_text", LastState(nn.GRU), torch.randint(1, 50, (N, 9))),
    ("lstm_seq", Sequence(), torch.randint(1, 40, (N, 8))),
    ("transformer", PreNorm(), torch.randint(1, 50, (N, 7))),
]
with open(os.path.join(W, "torch_cases.txt"), "w") as list_file:
    for name, model, x in cases:
        model.eval()
        with torch.no_grad():
            y = model(x)
        preserve = name.startswith("cnn_bn")  # keep BatchNormalization a node (eval export folds it into the conv)
        torch.onnx.export(model, x, os.path.join(W, name + ".onnx"), input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=17,
                          training=torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL)
        ids = x.dtype == torch.int64
        (x.numpy().astype(np.int32) if ids else x.numpy().astype(np.float32)).tofile(os.path.join(W, name + ".in"))
        y.numpy().astype(np.float32).tofile(os.path.join(W, name + ".torch"))
        list_file.write(f"{name} {'int32' if ids else 'float32'} {N}\n")
