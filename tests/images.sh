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
   && grep -q "sneaker/$img: \(sneaker\|ankle_boot\) (0\.[0-9]*)" "$W/pred.out" && [ "$(wc -l < "$W/pred.out")" = 2 ] && ok \
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
expect_fail "text.jpg: not a readable image (unknown image type) (and 2 more bad images" "$DEEPC" eval "$W/shoes.safetensors" --data "$W/broken"
"$DEEPC" eval "$W/shoes.safetensors" --data "$W/broken" --skip-bad > "$W/skip.out" 2>&1 && grep -q "skipped 3 unreadable files" "$W/skip.out" && ok \
   || bad "--skip-bad: $(head -3 "$W/skip.out")"
expect_fail "not a readable image" "$DEEPC" predict "$W/shoes.safetensors" "$W/broken/sneaker/cut.png"
expect_fail "zero.png: empty file (0 bytes)" "$DEEPC" predict "$W/shoes.safetensors" "$W/broken/sneaker/zero.png"
expect_fail "cannot open" "$DEEPC" predict "$W/shoes.safetensors" "$W/nope.png"
# a PNG whose header claims 100000x100000 pixels: refused, nothing allocated for it
"$PY" - "$W/huge.png" <<'PYEOF'
import struct, sys, zlib
def chunk(k, d): return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xFFFFFFFF)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
PYEOF
expect_fail "huge.png: " "$DEEPC" predict "$W/shoes.safetensors" "$W/huge.png"
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
