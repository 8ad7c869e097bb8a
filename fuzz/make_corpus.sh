#!/bin/sh
# make_corpus.sh — (re)build the seed corpora of fuzz/corpus from the
# project's own files and a freshly built build/deepc: valid inputs of every
# loader, small (each under 64 KB, the harnesses' -max_len), so that the
# fuzzer starts from deep inside each format. Run by hand after a format
# changes; the outputs are committed.
set -e
cd "$(dirname "$0")/.."
D=build/deepc
PY=${PYTHON:-/usr/bin/python3}
C=fuzz/corpus
rm -rf "$C"; mkdir -p "$C/safetensors" "$C/describe" "$C/idx" "$C/csv" "$C/tabular" "$C/image" "$C/state" "$C/text" "$C/bpe" "$C/onnx"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
SK=$(sh scripts/tables.sh "$T/data")

# descriptions: every shipped model, and a graph with names, merges, repeat
cp models/*.dc "$C/describe/"
cat > "$C/describe/graph.dc" <<'DC'
input 1x8x8 name=img
input 4 name=aux
conv2d 4 kernel=3 padding=same activation=relu name=c1 inputs=img
repeat 2
conv2d 4 kernel=3 padding=same name=r inputs=block_input
batchnorm name=bn
add inputs=block_input,bn
end
global_avg_pool2d name=gap
concat inputs=gap,aux
dense 3 activation=softmax name=out
output out
loss categorical_crossentropy output=out target=label
optimizer adamw lr=0.001 weight_decay=0.01 clipnorm=1
schedule cosine_restarts t_0=2 t_mult=2
early_stopping monitor=val_loss patience=3 restore_best_weights=true
fit epochs=3 batch_size=8 validation_split=0.2 seed=1
DC

# model files: format 1 fixtures; a CSV model with a training state; an
# image model with class names
cp tests/fixtures/v1_iris.safetensors tests/fixtures/v1_mlp.safetensors tests/fixtures/v1_conv1d.safetensors \
   tests/fixtures/v1_cnn_gap.safetensors "$C/safetensors/"
printf 'input auto\ndense 4 activation=relu\ndense 3 activation=softmax\noptimizer adam lr=0.01\nearly_stopping monitor=loss patience=9 restore_best_weights=true\nfit epochs=3 batch_size=16\n' > "$T/small.dc"
$D train "$T/small.dc" --data "$SK/iris.csv" --skip-rows 1 --no-header --test-split 0.2 --stratify --scale standard \
   --stop-after 4 --quiet --out "$C/safetensors/iris_state.safetensors" > /dev/null 2>&1 || true
mkdir -p "$T/imgs"
cp tests/fixtures/images/gray.png "$T/g.png"
for k in a b; do mkdir -p "$T/imgs/$k"; cp tests/fixtures/images/gray.png tests/fixtures/images/rgb.png "$T/imgs/$k/"; done
printf 'input 1x4x4\nflatten\ndense 2 activation=softmax\nfit epochs=1 batch_size=2\n' > "$T/img.dc"
$D train "$T/img.dc" --data "$T/imgs" --quiet --out "$C/safetensors/img_classes.safetensors" > /dev/null 2>&1
# quantized layouts (deepc quantize): int8 with F32 row scales, 4-bit U8 with F16 block scales
printf 'input 1x8x8\nflatten\ndense 32 activation=relu\ndense 2 activation=softmax\nfit epochs=1 batch_size=2\n' > "$T/img8.dc"
$D train "$T/img8.dc" --data "$T/imgs" --quiet --out "$T/img8.safetensors" > /dev/null 2>&1
$D quantize "$T/img8.safetensors" --out "$C/safetensors/img_int8.safetensors" --quiet > /dev/null 2>&1
$D quantize "$T/img8.safetensors" --bits 4 --out "$C/safetensors/img_q4.safetensors" --quiet > /dev/null 2>&1
# pruned layouts (deepc prune): sparse bitmap + values; a stopped prune with its masks in the state
$D prune "$T/img8.safetensors" --sparsity 0.9 --data "$T/imgs" --epochs 2 --out "$C/safetensors/img_pruned.safetensors" --quiet > /dev/null 2>&1
$D prune "$T/img8.safetensors" --sparsity 0.5 --data "$T/imgs" --epochs 3 --stop-after 2 --out "$C/safetensors/img_prune_state.safetensors" --quiet > /dev/null 2>&1 || true

# the training state and the stored pipeline, as text (from the files above)
"$PY" - "$C" <<'PYEOF'
import json, struct, sys
c = sys.argv[1]
def meta(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n])["__metadata__"]
m = meta(c + "/safetensors/iris_state.safetensors")
open(c + "/state/iris.txt", "w").write(m["training_state"])
open(c + "/state/prune.txt", "w").write(meta(c + "/safetensors/img_prune_state.safetensors")["training_state"])
open(c + "/tabular/iris.txt", "w").write(m["preprocess"])
open(c + "/tabular/v1_iris.txt", "w").write(meta(c + "/safetensors/v1_iris.safetensors")["preprocess"])
PYEOF

# IDX: the harness's layout (a split byte, a limit byte, images, labels),
# raw and gzip-compressed
"$PY" - "$C" <<'PYEOF'
import gzip, struct, sys
c = sys.argv[1]
img = struct.pack(">HBBIII", 0, 8, 3, 3, 4, 4) + bytes(range(48))
lab = struct.pack(">HBBI", 0, 8, 1, 3) + bytes([0, 1, 2])
for name, a, b in (("raw", img, lab), ("gz", gzip.compress(img), gzip.compress(lab))):
    split = round(255 * len(a) / (len(a) + len(b)))
    cut = 2 + split * (len(a) + len(b)) // 255
    body = a + b
    data = bytes([split, 1]) + body
    # make the split land exactly between the files
    while 2 + data[0] * (len(data) - 2) // 255 < 2 + len(a): data = bytes([data[0] + 1]) + data[1:]
    open(c + "/idx/" + name, "wb").write(data)
PYEOF

# CSV: an options byte, then the table
{ printf '\200'; head -40 "$SK/iris.csv"; } > "$C/csv/iris"
printf '\304size,color,price,y\n1.5,red,10,a\n2,blue,,b\n,red,12,a\n3.5,"green, dark",9,b\n4,NA,11,a\n2.5,blue,8,b\n' > "$C/csv/mixed"
printf '\003a;b;"c ""q"""\n1;2;x\n3;4;y\n5;6;x\n7;8;' > "$C/csv/quoted"
{ printf '\101'; head -30 "$T/data/diabetes.csv"; } > "$C/csv/regression"

# images: an option byte (gray / RGB), then the file
for f in tests/fixtures/images/*.png tests/fixtures/images/*.jpg; do
  n=$(basename "$f"); { printf '\001'; cat "$f"; } > "$C/image/$n"
done
# texts: an options byte, then a CSV of texts (or, with the high bit, a vocabulary)
"$PY" - "$C/text" <<'PYEOF'
import random, sys
random.seed(4)
words = "good great bad awful the a film plot really very".split()
rows = ["text,label"] + ['"%s",%s' % (" ".join(random.choice(words) for _ in range(random.randint(1, 12))), "ab"[i % 2]) for i in range(40)]
open(sys.argv[1] + "/reviews", "wb").write(b"\x31" + "\n".join(rows).encode() + b"\n")
open(sys.argv[1] + "/utf8", "wb").write(b'\x31text,label\n"Zo\xc3\xab\xff, na\xc3\xafve",a\n"b b",b\n')
open(sys.argv[1] + "/vocabulary", "wb").write(b"\x81" + "\n".join(["the", "good", "100%25", "caf\u00e9"]).encode())
PYEOF
# GPT-2 BPE: a byte-level vocabulary of the 256 bytes and a few merges,
# "\n--\n", the merges, "\n--\n", a text to encode (fuzz/fuzz_bpe.c)
"$PY" - "$C/bpe" <<'PYEOF'
import json, sys
bs = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
vocab = {chr(c): i for i, c in enumerate(cs)}
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld")]
for a, b in merges:
    vocab[a + b] = len(vocab)
vocab["<|endoftext|>"] = len(vocab)
head = json.dumps(vocab, ensure_ascii=False) + "\n--\n#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n"
texts = ["the world in the thin tin", "Hello, world! It's 2026.\n\n  spaces\ttabs", "你好 世界 😀 café", "<|endoftext|>the"]
for i, t in enumerate(texts):
    open(f"{sys.argv[1]}/seed{i}", "w", encoding="utf-8").write(head + "\n--\n" + t)
open(f"{sys.argv[1]}/bad0", "w", encoding="utf-8").write(json.dumps(vocab, ensure_ascii=False) + "\n--\n#version: 0.2\nzz qq\n")
PYEOF
du -sh "$C"; ls "$C"/* | wc -l

# ONNX: deepc's exports of small models (tests/test_onnx.c, built in build/)
# and PyTorch's (tests/onnx_import.py), those under 64 KB
build/tests/test_onnx "$T/onnx" > /dev/null
"$PY" tests/onnx_import.py "$T/onnx" > /dev/null 2>&1
for f in "$T"/onnx/*.onnx; do [ "$(wc -c < "$f")" -le 65536 ] && cp "$f" "$C/onnx/"; done
