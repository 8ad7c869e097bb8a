"""quant.py [BUILD] — int8 and 4-bit inference against float, deepc and
PyTorch in the same run (issue 17). Trains the Fashion MLP and CNN and the
spam LSTM briefly with deepc (speed does not depend on how well), then, at
1 and 2 threads: deepc's float, int8 and 4-bit copies (build/quant_infer)
and PyTorch's float and quantize_dynamic models (bench/torch_quant.py):
batch-1 latency and batch-256 throughput. Then GPT-2 small generation at
batch 1 (build/gpt2_generate: 16-token prompt, 128 new tokens, greedy)
in float, int8 and 4-bit. Prints Markdown tables for bench/RESULTS.md."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
W = "/tmp/deepc_bench_quant"
os.makedirs(W, exist_ok=True)
PY = "/usr/bin/python3"


def lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def train(name, desc, data, extra):
    path = f"{W}/{name}.safetensors"
    if not os.path.exists(path):
        subprocess.run([f"{BUILD}/deepc", "train", desc, "--data", data, "--quiet", "--force", "--out", path] + extra, check=True,
                       capture_output=True)
    return path


subprocess.run(["sh", f"{ROOT}/scripts/spam_csv.sh", f"{W}/spam.csv"], check=True, capture_output=True)
models = {
    "mlp": train("mlp", f"{ROOT}/models/fashion_mlp.dc", "fashion-mnist", ["--limit", "5000", "--epochs", "1"]),
    "cnn": train("cnn", f"{ROOT}/models/fashion_cnn.dc", "fashion-mnist", ["--limit", "2000", "--epochs", "1"]),
    "lstm": train("lstm", f"{ROOT}/models/spam_lstm.dc", f"{W}/spam.csv", ["--limit", "500", "--epochs", "1"]),
}
print("| model | threads | deepc float | deepc int8 | deepc 4-bit | PyTorch float | PyTorch dynamic int8 | int8/float (deepc) | deepc int8 / PyTorch dynamic |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
rows = []
for name, path in models.items():
    for t in (1, 2):
        reps = "3000" if name != "lstm" else "300"
        d = {r["weights"]: r for r in lines([f"{BUILD}/quant_infer", path, str(t), reps])}
        p = {r["weights"]: r for r in lines([PY, f"{HERE}/torch_quant.py", name, str(t), reps])}
        rows.append((name, t, d, p))
        print(f"| {name} batch 1 (µs) | {t} | {d['float']['batch1_us']} | {d['int8']['batch1_us']} | {d['q4']['batch1_us']} | "
              f"{p['float']['batch1_us']} | {p['dynamic_int8']['batch1_us']} | "
              f"{d['int8']['batch1_us'] / d['float']['batch1_us']:.2f} | {d['int8']['batch1_us'] / p['dynamic_int8']['batch1_us']:.2f} |")
for name, t, d, p in rows:
    print(f"| {name} batch 256 (samples/s) | {t} | {d['float']['batch256_per_s']} | {d['int8']['batch256_per_s']} | "
          f"{d['q4']['batch256_per_s']} | {p['float']['batch256_per_s']} | {p['dynamic_int8']['batch256_per_s']} | "
          f"{d['int8']['batch256_per_s'] / d['float']['batch256_per_s']:.2f} | {d['int8']['batch256_per_s'] / p['dynamic_int8']['batch256_per_s']:.2f} |")
print()
print("| GPT-2 small, batch 1 | threads | prefill tokens/s | decode tokens/s | weights MB | decode vs float |")
print("|---|---:|---:|---:|---:|---:|")
for t in (1, 2):
    base = None
    for bits in (0, 8, 4):
        r = lines([f"{BUILD}/gpt2_generate", f"{ROOT}/models/gpt2.dc", str(t), str(bits), "3"])[0]
        base = base or r["decode_tokens_per_second"]
        print(f"| {['float', '', '', '', '4-bit', '', '', '', 'int8'][bits]} | {t} | {r['prefill_tokens_per_second']} | "
              f"{r['decode_tokens_per_second']} | {r['weight_mb']} | {r['decode_tokens_per_second'] / base:.2f} |")
