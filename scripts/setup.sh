#!/bin/sh
# setup.sh — install what deepc needs on Debian 12 (build tools, OpenBLAS,
# oneDNN, zlib, libpng, libjpeg-turbo, jansson, libcsv, libmicrohttpd (deepc serve), curl and wrk (its tests and benchmarks), OpenMPI (training on several ranks), PCRE2 (GPT-2's BPE pattern), protobuf-c and onnx.proto (python3-onnx: ONNX files and their checker), clang 14 + libFuzzer (fuzzing), PyTorch, NumPy and scikit-learn for parity tests and the real
# tables, the Fashion-MNIST data set).
# Skips apt entirely when everything is already installed.
set -e
PKGS="build-essential cmake pkg-config libmicrohttpd-dev curl wrk openmpi-bin libopenmpi-dev libopenblas-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libjansson-dev libcsv-dev libpcre2-dev libdnnl-dev protobuf-c-compiler libprotobuf-c-dev clang-14 libfuzzer-14-dev python3 python3-numpy python3-torch python3-sklearn python3-onnx dataset-fashion-mnist fortunes fortunes-min"
# node and npm (the GPT-2 BPE reference, tests/bpe.sh): Debian's, unless some
# other node is already there (a NodeSource nodejs bundles its own npm)
NODE_PKGS=""
command -v node > /dev/null || NODE_PKGS="nodejs"
command -v npm > /dev/null || NODE_PKGS="$NODE_PKGS npm"
if [ -z "$NODE_PKGS" ] && dpkg -s $PKGS > /dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends $PKGS $NODE_PKGS
