#!/bin/sh
# layering.sh BUILD SRC — the arrows point down: no floor uses a higher one,
# no call cycles between files, no tool includes a private header
# (tests/layering.py says how; docs/ARCHITECTURE.md, the floors).
exec "${PYTHON:-/usr/bin/python3}" "$2/tests/layering.py" "$1" "$2"
