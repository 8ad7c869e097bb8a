#!/bin/sh
# graph_parity.sh TEST_GRAPH_PARITY WORKDIR — deepc's side, then PyTorch's.
set -e
mkdir -p "$2"
"$1" "$2/graph_parity.safetensors"
PY=${PYTHON:-/usr/bin/python3}
exec "$PY" "$(dirname "$0")/graph_parity.py" "$2/graph_parity.safetensors"
