"""read_model.py MODEL.safetensors DATA_DIR PREDICTIONS_FILE — read a deepc
model file with json/struct/numpy only, check its metadata, names and
shapes, run the MLP in numpy on the first test images and compare with the
classes and probabilities `deepc predict --probabilities` printed (a CSV:
input, class, probability, p_CLASS for every class)."""
import csv
import gzip
import sys

import numpy as np

from st_read import read

tensors, meta = read(sys.argv[1])
assert meta["format"] == "deepc" and meta["format_version"] == "1", meta
assert "dense 128 activation=relu" in meta["description"], meta["description"]
shapes = {k: v.shape for k, v in tensors.items() if not k.startswith(("optimizer.", "train."))}
# the training state rides along: Adam's two moment buffers and the epoch's order
assert tensors["optimizer.state.0"].shape == (101770,) and tensors["optimizer.state.1"].shape == (101770,)
assert tensors["train.permutation"].dtype == np.int32 and "training_state" in meta
expected = {"dense.weight": (128, 784), "dense.bias": (128,), "dense_1.weight": (10, 128), "dense_1.bias": (10,)}
assert shapes == expected, shapes

rows = list(csv.reader(open(sys.argv[3])))
assert rows[0][:3] == ["input", "class", "probability"] and len(rows[0]) == 13, rows[0]
rows = rows[1:]
assert [int(r[0]) for r in rows] == list(range(len(rows))), "inputs are the row numbers"
probs = np.array([[float(v) for v in r[3:]] for r in rows])
preds = probs.argmax(1).tolist()
with gzip.open(sys.argv[2] + "/t10k-images-idx3-ubyte.gz") as f:
    raw = f.read()
x = np.frombuffer(raw[16:16 + len(preds) * 784], dtype=np.uint8).reshape(-1, 784).astype(np.float32) / 255.0
h = np.maximum(x @ tensors["dense.weight"].T + tensors["dense.bias"], 0)
logits = h @ tensors["dense_1.weight"].T + tensors["dense_1.bias"]
ours = logits.argmax(1).tolist()
assert ours == preds, (ours, preds)
soft = np.exp(logits - logits.max(1, keepdims=True))
soft /= soft.sum(1, keepdims=True)
assert np.abs(soft - probs).max() < 1e-5, np.abs(soft - probs).max()
assert all(abs(float(r[2]) - probs[i].max()) < 1e-6 for i, r in enumerate(rows)), "probability is the predicted class's"
print(f"read_model: 1 passed, 0 failed ({len(preds)} predictions agree, names and shapes as expected)")
