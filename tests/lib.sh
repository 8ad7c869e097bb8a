# lib.sh — helpers shared by the shell test suites (sourced; needs $W and $PY).
# Each suite counts checks with ok/bad and ends with "NAME: N passed, N failed".
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# json_field FILE EXPR: EXPR applied to the JSON object on FILE's last line
json_field() { tail -n 1 "$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin)$2)"; }
# last_json FILE COMMAND [KEY]: FILE's last line is one JSON object whose
# "command" is COMMAND (or starts with COMMAND and a subcommand: "tokenizer
# train") and which has KEY
last_json() {
  tail -n 1 "$1" | "$PY" -c "
import json, sys
c = json.loads(sys.stdin.read())
cmd = c.get('command', '')
sys.exit(0 if (cmd == sys.argv[1] or cmd.split(' ')[0] == sys.argv[1]) and (not sys.argv[2] or sys.argv[2] in c) else 1)" "$2" "${3:-}" 2>/dev/null
}
# at_least VALUE FLOOR: numeric comparison
at_least() { "$PY" -c "import sys; sys.exit(0 if float('$1') >= $2 else 1)"; }
# expect_fail NEEDLE CMD...: CMD must fail cleanly (non-zero, not a signal) and say NEEDLE
expect_fail() {
  needle=$1; shift
  "$@" > "$W/err.out" 2>&1; rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "$needle" "$W/err.out"; then ok; else bad "'$*' (rc $rc): $(cat "$W/err.out")"; fi
}
# finish NAME: the closing line, and the exit status
finish() { echo "$1: $pass passed, $fail failed"; [ $fail = 0 ]; }
# tiny_png_folder DIR: DIR/a and DIR/b, three 8x8 gray PNGs each (dark, light)
tiny_png_folder() {
  mkdir -p "$1/a" "$1/b"
  "$PY" - "$1" <<'PYEOF'
import struct, sys, zlib
def png(path, v):
    raw = b''.join(b'\x00' + bytes([v] * 8) for _ in range(8))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 8, 8, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
for i in range(3):
    png('%s/a/%d.png' % (sys.argv[1], i), 40 + i); png('%s/b/%d.png' % (sys.argv[1], i), 200 - i)
PYEOF
}
