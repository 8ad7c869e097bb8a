"""fashion_folders.py OUT [TRAIN_PER_CLASS] [VAL_PER_CLASS] — a real image
folder for the binary CNN: two Fashion-MNIST classes (Sneaker, Ankle boot)
written as PNG files into OUT/train/CLASS/ and OUT/validation/CLASS/, in the
layout Keras' flow_from_directory reads. Training images come from the
training split, validation images from the test split. Standard library
only (gzip, zlib, struct): a PNG is a signature and three chunks."""
import gzip
import os
import struct
import sys
import zlib

DATA = os.environ.get("DEEPC_DATA_DIR", "/usr/share/datasets") + "/fashion-mnist"
CLASSES = {7: "sneaker", 9: "ankle_boot"}


def idx(name):
    with gzip.open(f"{DATA}/{name}") as f:
        blob = f.read()
    nd = blob[3]
    dims = struct.unpack(">" + "I" * nd, blob[4:4 + 4 * nd])
    return dims, blob[4 + 4 * nd:]


def png(path, pixels, w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))  # filter 0 per row
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body)
    os.replace(tmp, path)


def export(split, prefix, per_class, out):
    (n, h, w), pixels = idx(f"{prefix}-images-idx3-ubyte.gz")
    _, labels = idx(f"{prefix}-labels-idx1-ubyte.gz")
    count = {k: 0 for k in CLASSES}
    for i in range(n):
        k = labels[i]
        if k in CLASSES and count[k] < per_class:
            d = f"{out}/{split}/{CLASSES[k]}"
            os.makedirs(d, exist_ok=True)
            png(f"{d}/{i:05d}.png", pixels[i * h * w:(i + 1) * h * w], w, h)
            count[k] += 1


out = sys.argv[1]
train_n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
val_n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
export("train", "train", train_n, out)
export("validation", "t10k", val_n, out)
print(f"{out}: train/ and validation/ with {train_n} and {val_n} images per class ({', '.join(CLASSES.values())})")
