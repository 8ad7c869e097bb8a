"""st_edit.py — read, change and write safetensors files and their
training_state, to craft bad model files for the tests (as an attacker
would: everything else in the file stays valid)."""
import json
import struct


def read(path):
    """(metadata dict, {name: (dtype, shape, bytes)})"""
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    data = b[8 + n:]
    meta = h.pop("__metadata__", None)
    return meta, {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in h.items()}


def write(path, meta, tensors):
    h, off, blobs = {}, 0, []
    if meta is not None:
        h["__metadata__"] = meta
    for k, (dt, sh, by) in tensors.items():
        h[k] = {"dtype": dt, "shape": sh, "data_offsets": [off, off + len(by)]}
        off += len(by)
        blobs.append(by)
    hb = json.dumps(h, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))


def set_state(meta, **kw):
    """Replace (or add) key=value lines of the training_state."""
    lines = [l.split("=", 1) for l in meta["training_state"].split("\n") if "=" in l]
    for k, v in kw.items():
        hit = [l for l in lines if l[0] == k]
        for l in hit:
            l[1] = str(v)
        if not hit:
            lines.append([k, str(v)])
    meta["training_state"] = "".join(f"{k}={v}\n" for k, v in lines)
