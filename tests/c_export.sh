#!/bin/sh
# c_export.sh TEST_C_EXPORT DEEPC WORKDIR SOURCE_DIR — C export (issue 18):
# each model of tests/test_c_export.c exported as C99, compiled with gcc and
# clang as the issue asks (-std=c99 -Wall -Wextra -Werror -pedantic -c),
# linked with tests/c_driver.c, run on 100 inputs and compared with deepc's
# outputs (within each case's tolerance; 0: the same bits, int8 products);
# then the CLI on a trained Fashion MLP, float and int8, and its sizes.
set -u
TEST=$1; DEEPC=$2; W=$3; SRC=$4
PY=${PYTHON:-/usr/bin/python3}
. "$SRC/tests/lib.sh"
"$TEST" "$W" || bad "test_c_export (the deepc half)"
FLAGS="-std=c99 -Wall -Wextra -Werror -pedantic"
# compare A B TOL: raw floats, |a - b| <= TOL (1 + |b|) everywhere (TOL 0: the same bits)
compare() {
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import struct, sys
a, b, tol = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), float(sys.argv[3])
if len(a) != len(b): sys.exit("%d bytes against %d" % (len(a), len(b)))
if tol == 0:
    sys.exit(0 if a == b else "not the same bits")
x, y = struct.unpack("<%df" % (len(a) // 4), a), struct.unpack("<%df" % (len(b) // 4), b)
worst = max(abs(u - v) / (1 + abs(v)) for u, v in zip(x, y))
sys.exit(0 if worst <= tol else "max relative difference %g over %g" % (worst, tol))
PYEOF
}
while read -r name ids tol; do
  for cc in gcc clang; do
    command -v $cc > /dev/null || { bad "$cc is not installed"; continue; }
    $cc $FLAGS -c "$W/$name.c" -o "$W/$name.$cc.o" > "$W/$name.$cc.log" 2>&1 && ok || { bad "$cc $FLAGS -c $name.c: $(head -5 "$W/$name.$cc.log")"; continue; }
    d=""; [ "$ids" = 1 ] && d="-DIDS"
    $cc -std=c99 -O2 -I"$W" -DMODEL_HEADER="\"$name.h\"" $d "$SRC/tests/c_driver.c" "$W/$name.$cc.o" -lm -o "$W/$name.$cc.run" \
      && "$W/$name.$cc.run" "$W/$name.in" "$W/$name.$cc.got" 100 \
      && r=$(compare "$W/$name.$cc.got" "$W/$name.out" "$tol" 2>&1) && ok || bad "$name ($cc): the C model against deepc: $r"
  done
  echo "$name: C export compiled (gcc, clang) and matches deepc (tolerance $tol)"
done < "$W/cases.txt"

# the CLI: a trained Fashion MLP, float and int8; text + rodata as a microcontroller user reads them
C="$W/cli"; mkdir -p "$C"
"$DEEPC" train "$SRC/models/fashion_mlp.dc" --data fashion-mnist --limit 1000 --epochs 1 --quiet --out "$C/mlp.safetensors" > "$C/train.out" 2>&1 \
  || bad "train: $(tail -3 "$C/train.out")"
"$DEEPC" quantize "$C/mlp.safetensors" --out "$C/mlp8.safetensors" > /dev/null 2>&1 || bad "quantize"
for m in mlp mlp8; do
  "$DEEPC" export "$C/$m.safetensors" --format c --out "$C/$m.c" --prefix fashion --json > "$C/$m.json" 2>&1 \
    && grep -q '"format":"c"' "$C/$m.json" && [ -f "$C/$m.h" ] && grep -q "int fashion_predict(const float \*in, float \*out);" "$C/$m.h" && ok \
    || bad "export --format c $m: $(cat "$C/$m.json")"
  gcc $FLAGS -Os -c "$C/$m.c" -o "$C/$m.o" && ok || bad "gcc -c $m.c"
  echo "$m: $(size -A "$C/$m.o" | awk '/^\.text/ {t+=$2} /^\.rodata/ {r+=$2} END {printf "text %d + rodata %d bytes (gcc -Os, x86-64)", t, r}')"
done
expect_fail "a C identifier" "$DEEPC" export "$C/mlp.safetensors" --format c --out "$C/x.c" --prefix "no-dash"
expect_fail "ends in .c" "$DEEPC" export "$C/mlp.safetensors" --format c --out "$C/x.txt"
finish c_export
