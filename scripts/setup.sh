#!/bin/sh
# setup.sh — install what deepc needs on Debian 12 (build tools, OpenBLAS,
# oneDNN, zlib, libpng, libjpeg-turbo, jansson, libcsv, clang 14 + libFuzzer (fuzzing), PyTorch, NumPy and scikit-learn for parity tests and the real
# tables, the Fashion-MNIST data set).
# Skips apt entirely when everything is already installed.
set -e
PKGS="build-essential cmake pkg-config libopenblas-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libjansson-dev libcsv-dev libdnnl-dev clang-14 libfuzzer-14-dev python3 python3-numpy python3-torch python3-sklearn dataset-fashion-mnist fortunes fortunes-min"
if dpkg -s $PKGS > /dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends $PKGS
