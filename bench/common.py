"""common.py — what the benchmark scripts share: Fashion-MNIST from its IDX
files, and running a command while measuring its peak memory."""
import gzip
import json
import os
import subprocess
import sys

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist/"


def idx(name, offset):
    """The bytes of an IDX file after its header (offset: 16 images, 8 labels)."""
    with gzip.open(DATA + name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def run(cmd, env=None):
    """Run cmd; return (its last stdout line as JSON, its peak RSS in MB)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024.0
