#!/bin/sh
# gpt_parity.sh TEST_GPT_PARITY WORKDIR — deepc's side, then PyTorch's.
set -e
mkdir -p "$2"
"$1" "$2/gpt_parity.safetensors"
PY=${PYTHON:-/usr/bin/python3}
exec "$PY" "$(dirname "$0")/gpt_parity.py" "$2/gpt_parity.safetensors"
