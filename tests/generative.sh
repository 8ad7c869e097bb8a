#!/bin/sh
# generative.sh DEEPC WORKDIR SOURCE_DIR — the variational autoencoder and the
# autoencoder from the command line on Fashion-MNIST slices: the loss and its
# parts in progress and --json, the test loss (negative ELBO), generate's PNG
# grids, and the errors of generate on models it cannot use.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"

"$DEEPC" train "$SRC/models/fashion_vae.dc" --data fashion-mnist --limit 3000 --epochs 3 --validation-split 0.1 --json \
  --out "$W/vae.safetensors" > "$W/vae.out" 2>&1 || bad "vae training: $(tail -3 "$W/vae.out")"
grep -q "Epoch 3/3 .* - loss: [0-9.]* - reconstruction: [0-9.]* - kl: [0-9.]* - val_loss: [0-9.]* - val_reconstruction: [0-9.]* - val_kl" "$W/vae.out" \
  && ok || bad "vae progress shows the loss parts: $(grep 'Epoch 3' "$W/vae.out")"
"$PY" - "$W/vae.out" <<'PYEOF' && ok || bad "vae json"
import json, math, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
h = r["history"]
assert r["test_accuracy"] is None, r
assert math.isclose(r["test_loss"], r["test_reconstruction"] + r["test_kl"], rel_tol=1e-4), r
assert 200 < r["test_loss"] < 400 and r["test_kl"] > 0, r   # negative ELBO per image, in nats
assert h[2]["loss"] < h[0]["loss"] and h[2]["val_loss"] < h[0]["val_loss"], h
print("vae: test negative ELBO %.2f (reconstruction %.2f + kl %.2f)" % (r["test_loss"], r["test_reconstruction"], r["test_kl"]))
PYEOF

# generate: a grid of samples and the 2-D latent plane, valid PNGs of the right size
png_size() { "$PY" -c "
import struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'\x89PNG\r\n\x1a\n'
w, h = struct.unpack('>II', b[16:24])
# decode the IDAT stream: the picture is not blank
data = b''.join(b[i+8:i+8+struct.unpack('>I', b[i:i+4])[0]] for i in range(8, len(b), 1) if b[i+4:i+8] == b'IDAT')
raw = zlib.decompress(data)
assert len(set(raw)) > 20, 'a blank image'
print(w, h)" "$1"; }
"$DEEPC" generate "$W/vae.safetensors" --samples 64 --out "$W/samples.png" --json > "$W/gen.out" 2>&1 || bad "generate: $(cat "$W/gen.out")"
[ "$(png_size "$W/samples.png")" = "224 224" ] && ok || bad "samples.png is $(png_size "$W/samples.png"), expected 224 224"
"$DEEPC" generate "$W/vae.safetensors" --manifold 20 --out "$W/manifold.png" > "$W/gen.out" 2>&1 || bad "manifold: $(cat "$W/gen.out")"
[ "$(png_size "$W/manifold.png")" = "560 560" ] && ok || bad "manifold.png is $(png_size "$W/manifold.png"), expected 560 560"
"$DEEPC" generate "$W/vae.safetensors" --samples 9 --seed 3 --out "$W/a.png" > /dev/null 2>&1
"$DEEPC" generate "$W/vae.safetensors" --samples 9 --seed 3 --out "$W/b.png" > /dev/null 2>&1
cmp -s "$W/a.png" "$W/b.png" && ok || bad "generate with the same seed differs"

# the autoencoder: input as target, MSE; eval reports the loss only
"$DEEPC" train "$SRC/models/fashion_ae.dc" --data fashion-mnist --limit 3000 --epochs 2 --json --quiet \
  --out "$W/ae.safetensors" > "$W/ae.out" 2>&1 || bad "ae training: $(tail -3 "$W/ae.out")"
mse=$(json_field "$W/ae.out" "['test_loss']")
echo "autoencoder: test reconstruction MSE $mse"
"$PY" -c "import sys; sys.exit(0 if 0 < $mse < 0.06 else 1)" && ok || bad "autoencoder MSE $mse"
"$DEEPC" eval "$W/ae.safetensors" --data fashion-mnist --limit 500 > "$W/aeval.out" 2>&1 && grep -q "^loss: " "$W/aeval.out" \
  && ok || bad "ae eval: $(cat "$W/aeval.out")"

"$DEEPC" summary "$SRC/models/fashion_vae.dc" > "$W/sum.out" 2>&1 && grep -q "z (Sampling) .* mu, logvar" "$W/sum.out" \
  && ok || bad "summary shows what a layer is connected to: $(cat "$W/sum.out")"
expect_fail "no sampling layer: generate needs a variational autoencoder" "$DEEPC" generate "$W/ae.safetensors" --out "$W/x.png"
"$DEEPC" train "$SRC/models/fashion_vae20.dc" --data fashion-mnist --limit 500 --epochs 1 --quiet --out "$W/vae20.safetensors" > /dev/null 2>&1 \
  || bad "vae20 training"
expect_fail "--manifold needs a 2-D latent space; " "$DEEPC" generate "$W/vae20.safetensors" --manifold 5 --out "$W/x.png"
expect_fail "needs --out FILE.png" "$DEEPC" generate "$W/vae.safetensors"
finish generative
