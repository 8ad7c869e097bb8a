#!/bin/sh
# images.sh DEEPC WORKDIR SOURCE_DIR — image folders end to end: a real
# folder of Fashion-MNIST PNGs (scripts/fashion_folders.py), a small CNN with
# augmentation and a validation folder, predict on image files, the
# augmentation grid, and bad images (zero-byte, truncated, not an image,
# empty folders, mixed sizes and channel counts).
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
"$PY" "$SRC/scripts/fashion_folders.py" "$W/shoes" 150 50 > /dev/null || { echo "images: 0 passed, 1 failed"; exit 1; }

# mixed sizes and channel counts are resized/converted, not errors: a 40x30 RGB PNG
"$PY" - "$W/shoes/train/sneaker/rgb.png" <<'PYEOF'
import struct, sys, zlib
w, h = 40, 30
raw = b"".join(b"\x00" + b"".join(bytes((x * 6 % 256, y * 8 % 256, 128)) for x in range(w)) for y in range(h))
def chunk(k, d): return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xFFFFFFFF)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PYEOF

cat > "$W/small.dc" <<'DC'
input 1x28x28
conv2d 8 kernel=3 activation=relu
batchnorm
maxpool2d 2
conv2d 16 kernel=3 padding=same activation=relu
spatial_dropout2d 0.1
global_avg_pool2d
dense 16 activation=relu
dense 1 activation=sigmoid
loss binary_crossentropy
optimizer adam lr=0.01
fit epochs=6 batch_size=16 seed=3
DC
"$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --validation-data "$W/shoes/validation" \
   --augment rotation=15,shift=0.1,zoom=0.1,hflip --json --out "$W/shoes.safetensors" > "$W/train.out" 2>&1 \
   || bad "train on an image folder: $(tail -3 "$W/train.out")"
grep -q "301 images in 2 classes (ankle_boot, sneaker), resized to 1x28x28" "$W/train.out" && ok || bad "folder report: $(grep images "$W/train.out")"
vacc=$(json_field "$W/train.out" "['history'][-1]['val_accuracy']")
echo "small CNN val_accuracy: $vacc"
"$PY" -c "import sys; sys.exit(0 if float('$vacc') >= 0.7 else 1)" && ok || bad "val_accuracy $vacc < 0.7"
# a validation split of a (class-sorted) folder holds both classes
"$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --validation-split 0.3 --json --quiet --out "$W/vs.safetensors" > "$W/vs.out" 2>&1 \
   || bad "validation split on a folder"
vs=$(json_field "$W/vs.out" "['history'][-1]['val_accuracy']")
"$PY" -c "import sys; sys.exit(0 if 0.6 <= float('$vs') < 1.0 else 1)" && ok || bad "folder validation split accuracy $vs"

# augmented batches come from a background thread: still bit-identical, and
# a run stopped mid-epoch and resumed ends the same
"$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --augment rotation=15,shift=0.1,zoom=0.1,hflip --epochs 2 --quiet \
   --out "$W/a1.safetensors" > /dev/null 2>&1 || bad "augmented run 1"
"$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --augment rotation=15,shift=0.1,zoom=0.1,hflip --epochs 2 --quiet \
   --out "$W/a2.safetensors" > /dev/null 2>&1 || bad "augmented run 2"
cmp -s "$W/a1.safetensors" "$W/a2.safetensors" && ok || bad "two augmented runs differ"
"$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --augment rotation=15,shift=0.1,zoom=0.1,hflip --epochs 2 --quiet \
   --stop-after 25 --out "$W/a3.safetensors" > /dev/null 2>&1
"$DEEPC" train --resume "$W/a3.safetensors" --data "$W/shoes/train" --augment rotation=15,shift=0.1,zoom=0.1,hflip --quiet \
   > /dev/null 2>&1 || bad "augmented resume"
cmp -s "$W/a1.safetensors" "$W/a3.safetensors" && ok || bad "augmented resume differs from the straight run"
img=$(ls "$W/shoes/validation/sneaker" | head -1)
"$DEEPC" predict "$W/shoes.safetensors" "$W/shoes/validation/sneaker/$img" "$W/shoes/train/sneaker/rgb.png" > "$W/pred.out" 2>&1 \
   && grep -q "sneaker/$img,\(sneaker\|ankle_boot\),0\.[0-9]*$" "$W/pred.out" && [ "$(wc -l < "$W/pred.out")" = 3 ] && ok \
   || bad "predict images: $(cat "$W/pred.out")"
"$DEEPC" eval "$W/shoes.safetensors" --data "$W/shoes/validation" > "$W/eval.out" 2>&1 && grep -q "ankle_boot" "$W/eval.out" && ok \
   || bad "eval on a folder: $(tail -3 "$W/eval.out")"
"$DEEPC" summary "$SRC/models/binary_cnn.dc" | grep -q "(None, 128, 7, 7)" && ok || bad "binary_cnn shapes"
"$DEEPC" summary "$SRC/models/fashion_cnn.dc" | grep -q "(None, 64, 5, 5)" && ok || bad "fashion_cnn shapes"

# the augmentation grid is a real PNG
"$DEEPC" augment "$W/shoes/train" --augment rotation=40,shift=0.2,shear=20,zoom=0.2,hflip,fill=reflect --out "$W/grid.png" \
   --json > "$W/grid.out" 2>&1 && head -c 4 "$W/grid.png" | grep -q PNG && [ "$(json_field "$W/grid.out" "['rows']")" = 6 ] && ok \
   || bad "augment grid: $(cat "$W/grid.out")"

# bad images
cp -r "$W/shoes/validation" "$W/broken"
: > "$W/broken/sneaker/zero.png"
head -c 200 "$W/broken/sneaker/$img" > "$W/broken/sneaker/cut.png"
echo "not an image" > "$W/broken/ankle_boot/text.jpg"
expect_fail "text.jpg: not a PNG or JPEG image (its first bytes are no image signature) (and 2 more bad images" "$DEEPC" eval "$W/shoes.safetensors" --data "$W/broken"
"$DEEPC" eval "$W/shoes.safetensors" --data "$W/broken" --skip-bad > "$W/skip.out" 2>&1 && grep -q "skipped 3 unreadable files" "$W/skip.out" && ok \
   || bad "--skip-bad: $(head -3 "$W/skip.out")"
expect_fail "cut.png: not a readable PNG" "$DEEPC" predict "$W/shoes.safetensors" "$W/broken/sneaker/cut.png"
expect_fail "zero.png: empty file (0 bytes)" "$DEEPC" predict "$W/shoes.safetensors" "$W/broken/sneaker/zero.png"
expect_fail "cannot open" "$DEEPC" predict "$W/shoes.safetensors" "$W/nope.png"
# a PNG whose header claims 100000x100000 pixels: refused, nothing allocated for it
"$PY" - "$W/huge.png" <<'PYEOF'
import struct, sys, zlib
def chunk(k, d): return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xFFFFFFFF)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
PYEOF
expect_fail "huge.png: PNG of 100000x100000 pixels is outside 1..16384 per side" "$DEEPC" predict "$W/shoes.safetensors" "$W/huge.png"
# files that are not PNG or JPEG, whatever their names, cost nothing in a
# training folder: a 19-byte PGM named .png claiming 16384x16384 pixels, a
# Radiance HDR named .png (it hung the old decoder), a 54-byte header-only BMP
# (ignored: .bmp is not read at all); --skip-bad skips and counts them
cp -r "$W/shoes/validation" "$W/disguised"
printf 'P5\n16384 16384\n255\n' > "$W/disguised/sneaker/pgm.png"
printf '#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 16384 +X 16384\n\002\002\100\000' > "$W/disguised/sneaker/hdr.png"
printf 'BM' > "$W/disguised/sneaker/bomb.bmp"
expect_fail "hdr.png: a Radiance HDR file; deepc reads PNG and JPEG images (convert it) (and 1 more bad images" "$DEEPC" eval "$W/shoes.safetensors" --data "$W/disguised"
rss=$("$PY" -c "
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=open(sys.argv[-1] + '.out', 'w'), stderr=subprocess.STDOUT, timeout=60)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)" "$DEEPC" eval "$W/shoes.safetensors" --skip-bad --data "$W/disguised")
grep -q "skipped 2 unreadable files" "$W/disguised.out" && [ "$rss" -lt 300 ] && ok || bad "disguised images: $rss MB, $(cat "$W/disguised.out")"
# a model whose input is 3x100000x100000 (8 parameters) cannot take a
# resized image: a clear error, not a silent exit 0 with no output
printf 'input 3x100000x100000\nconv2d 1 kernel=1\nglobal_avg_pool2d\ndense 2 activation=softmax\n' > "$W/huge_input.dc"
"$PY" - "$W/huge_input.safetensors" <<'PYEOF'
import json, struct, sys
desc = open(sys.argv[1].replace(".safetensors", ".dc")).read()
ts = {"conv2d.weight": [1, 3, 1, 1], "conv2d.bias": [1], "dense.weight": [2, 1], "dense.bias": [2]}
h, off = {"__metadata__": {"format": "deepc", "format_version": "1", "description": desc}}, 0
for k, s in ts.items():
    n = 4 * eval("*".join(map(str, s)))
    h[k] = {"dtype": "F32", "shape": s, "data_offsets": [off, off + n]}; off += n
hb = json.dumps(h).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(hb)) + hb + b"\0" * off)
PYEOF
expect_fail "input images are 100000x100000; deepc resizes images to at most 4096x4096" "$DEEPC" predict "$W/huge_input.safetensors" "$W/shoes/train/sneaker/rgb.png"
mkdir -p "$W/empty" "$W/noimg/a" "$W/noimg/b"
expect_fail "no class subfolders" "$DEEPC" train "$W/small.dc" --data "$W/empty"
expect_fail "no images" "$DEEPC" train "$W/small.dc" --data "$W/noimg"
expect_fail "unknown or out-of-range \"spin\"" "$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --augment spin=3
expect_fail "does not match --image-size" "$DEEPC" train "$W/small.dc" --data "$W/shoes/train" --image-size 32x32
printf 'input 1x28x28\nconv2d 8 kernel=3\ndense 10\n' > "$W/noflat.dc"
expect_fail "noflat.dc:3:1: dense: input has 3 dimensions per sample; add a flatten layer first" "$DEEPC" summary "$W/noflat.dc"
printf 'input 28x28\nconv2d 8 kernel=3\n' > "$W/nochan.dc"
expect_fail "nochan.dc:2:1: conv2d: input has 2 dimensions per sample, needs (channels, height, width)" "$DEEPC" summary "$W/nochan.dc"
printf 'input 1x28x28\nconv2d 8 kernel=30\n' > "$W/bigk.dc"
expect_fail "does not fit the 28x28 input" "$DEEPC" summary "$W/bigk.dc"

finish images
