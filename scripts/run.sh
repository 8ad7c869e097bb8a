#!/bin/sh
# run.sh — the main job: set up, build, and train the default model (the
# Keras-tutorial MLP) on Fashion-MNIST, printing progress and test metrics.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$(nproc)"
exec build/deepc train models/fashion_mlp.dc --data fashion-mnist --out fashion_mlp.safetensors "$@"
