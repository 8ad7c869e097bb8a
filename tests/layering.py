"""layering.py BUILD SRC — the arrows of the house point down (docs/ARCHITECTURE.md).

Reads the symbols every object file of the library defines and uses (nm) and
fails, naming file, symbol and the file that defines it, when
  - a floor uses a higher floor: kernels (1) < core (2) < nn (3) < data, io, train (4);
  - within floor 4, data uses io or train, or io uses train (train may use io
    and data; io may use data: a model file checks the tokenizer it carries);
  - files call each other in a cycle (any strongly connected set of files);
  - a tool or an example includes a private header (anything under src/).
"""
import collections
import glob
import os
import re
import subprocess
import sys

build, src = sys.argv[1], sys.argv[2]
FLOOR = {"kernels": 1, "core": 2, "nn": 3, "data": 4, "io": 4, "train": 4}
MAY_USE = {"data": {"data"}, "io": {"io", "data"}, "train": {"train", "io", "data"}}

files = sorted(glob.glob(os.path.join(src, "src", "**", "*.c"), recursive=True))
defs, uses, bad = {}, {}, []
for f in files:
    rel = os.path.relpath(f, src)
    obj = os.path.join(build, "CMakeFiles", "deepc_obj.dir", rel + ".o")
    if not os.path.exists(obj):
        sys.exit(f"layering: {obj} is missing (build first)")
    out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=True).stdout
    uses[rel] = []
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 2 and p[1] in "TDBR":
            defs[p[0]] = rel
        elif len(p) >= 2 and p[1] == "U":
            uses[rel].append(p[0])

def folder(rel):
    return rel.split("/")[1]

edges = collections.defaultdict(set)
for rel, syms in uses.items():
    for s in syms:
        d = defs.get(s)
        if not d or d == rel:
            continue
        edges[rel].add(d)
        a, b = folder(rel), folder(d)
        if FLOOR[b] > FLOOR[a] or (FLOOR[a] == 4 and FLOOR[b] == 4 and b not in MAY_USE[a]):
            bad.append(f"{rel} uses {s} of {d} ({b} is above {a})")

# cycles: Tarjan's strongly connected components
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in uses:
    if v not in index:
        strong(v)
for comp in sccs:
    bad.append("files that call each other in a cycle: " + " ".join(comp))

for f in sorted(glob.glob(os.path.join(src, "tools", "*.[ch]")) + glob.glob(os.path.join(src, "examples", "*.c"))):
    for n, line in enumerate(open(f, encoding="utf-8"), 1):
        m = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
        if m and ("src/" in m.group(1) or os.path.basename(m.group(1)) in ("internal.h", "layer.h", "model.h", "kernels.h")):
            bad.append(f"{os.path.relpath(f, src)}:{n} includes the private header {m.group(1)}")

for b in bad:
    print("layering: " + b)
print(f"layering: {len(files)} files, {sum(len(e) for e in edges.values())} file-to-file uses, {len(bad)} problems")
sys.exit(1 if bad else 0)
