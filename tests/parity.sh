#!/bin/sh
# parity.sh TEST_PARITY_BINARY WORKDIR — run deepc's side, then PyTorch's.
set -e
mkdir -p "$2"
"$1" "$2/parity.safetensors"
PY=${PYTHON:-/usr/bin/python3}
exec "$PY" "$(dirname "$0")/parity.py" "$2/parity.safetensors"
