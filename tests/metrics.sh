#!/bin/sh
# metrics.sh TEST_METRICS_BINARY WORKDIR — deepc's metrics vs scikit-learn's.
set -e
mkdir -p "$2"
"$1" "$2/metrics.safetensors"
PY=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")" && exec "$PY" metrics_check.py "$2/metrics.safetensors"
