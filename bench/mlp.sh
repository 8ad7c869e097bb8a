#!/bin/sh
# mlp.sh — build (Release) and run the MLP benchmark against PyTorch.
set -e
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$(nproc)" > /dev/null
/usr/bin/python3 bench/mlp.py "$@"
