#!/bin/sh
# seq.sh TEST_SEQ WORKDIR — sequence models in C, then the saved
# bidirectional LSTM loaded into torch.nn modules (seq_torch.py).
set -e
"$1" "$2"
PY=${PYTHON:-/usr/bin/python3}
exec "$PY" "$(dirname "$0")/seq_torch.py" "$2/bilstm.safetensors" "$2/bilstm_io.safetensors"
