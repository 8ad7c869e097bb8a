#!/bin/sh
# rnn_parity.sh TEST_RNN_PARITY WORKDIR — deepc's side, then PyTorch's.
set -e
mkdir -p "$2"
"$1" "$2/rnn_parity.safetensors"
PY=${PYTHON:-/usr/bin/python3}
exec "$PY" "$(dirname "$0")/rnn_parity.py" "$2/rnn_parity.safetensors"
