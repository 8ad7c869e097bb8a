"""torch_quant.py MODEL THREADS — PyTorch's side of bench/quant.py: the
Fashion MLP (784-128-10), the Fashion CNN (conv 32, conv 64, dense 128, 10)
or the spam LSTM (Embedding 10000x32, LSTM 128, Linear 1; 200 steps), in
float and after torch.ao.quantization.quantize_dynamic (qint8 weights,
activations quantized per tensor at run time: nn.Linear and nn.LSTM, which
is all it covers), under inference_mode. Prints one JSON line per variant:
batch-1 latency (median microseconds) and batch-256 throughput."""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

kind, threads = sys.argv[1], int(sys.argv[2])
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
torch.set_num_threads(threads)
torch.manual_seed(0)


class LSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(10000, 32)
        self.r = nn.LSTM(32, 128, batch_first=True)
        self.o = nn.Linear(128, 1)

    def forward(self, x):
        _, (h, _) = self.r(self.e(x))
        return torch.sigmoid(self.o(h[-1]))


if kind == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(1))
    make = lambda n: torch.rand(n, 1, 28, 28)
elif kind == "cnn":
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(1))
    make = lambda n: torch.rand(n, 1, 28, 28)
else:
    model = LSTM()
    make = lambda n: torch.randint(1, 1000, (n, 200))
model.eval()


def timed(m, x, n):
    t = []
    with torch.inference_mode():
        for _ in range(20):
            m(x)
        for _ in range(n):
            a = time.perf_counter()
            m(x)
            t.append(time.perf_counter() - a)
    return statistics.median(t)


q = torch.ao.quantization.quantize_dynamic(model, {nn.Linear, nn.LSTM}, dtype=torch.qint8)
for name, m in (("float", model), ("dynamic_int8", q)):
    lat = timed(m, make(1), reps if kind != "lstm" else reps // 10)
    thr = 256 / timed(m, make(256), 15)
    print(json.dumps({"weights": name, "threads": threads, "batch1_us": round(lat * 1e6, 1), "batch256_per_s": round(thr)}))
