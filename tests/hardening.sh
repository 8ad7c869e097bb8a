#!/bin/sh
# hardening.sh DEEPC WORKDIR SOURCE_DIR — crafted input, as an attacker
# would bring it, adapted from the red-team reproducers (f_*):
#  - a crafted training state is refused with a message that names it, never
#    trusted: counters past their range (overflow), a step beyond the epoch,
#    a permutation that is not one, counts that contradict each other, best
#    weights promised but missing (which used to "restore" an all-zero model);
#  - Ctrl-C during the final save finishes the save;
#  - a symlink placed at a predictable temporary name is never followed;
#  - metrics of a 50,000-class model stay linear in the classes;
#  - a model file is checked for its tensors before the network is built;
#  - names that are not UTF-8 are escaped, so a saved model always loads;
#  - --limit bounds what is decompressed from IDX files;
#  - a stored CSV pipeline may not redefine or repeat its keys;
#  - CSV: duplicate column names, a trailing empty field at EOF, repeated
#    --features, labels 1 and 1.0; wide tables, many classes and wide PCA
#    stay linear (or are refused with the width);
#  - a resumed CSV run reads its table with the run's options (different
#    ones refused, a changed table refused); a damaged stored pipeline is a
#    load error; image-folder classes are matched to the model's by name.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
SK=$(sh "$SRC/scripts/tables.sh" "$W/data") || { echo "hardening: 0 passed, 1 failed"; exit 1; }
CSV="--data $SK/iris.csv --skip-rows 1 --no-header --test-split 0.2 --scale standard"
printf 'input auto\ndense 8 activation=relu\ndense 3 activation=softmax\noptimizer adam lr=0.01\nschedule cosine_restarts t_0=1 t_mult=2\nearly_stopping monitor=loss patience=100 restore_best_weights=true\nfit epochs=4 batch_size=16 seed=1\n' > "$W/es.dc"
"$DEEPC" train "$W/es.dc" $CSV --epochs 4 --stop-after 12 --quiet --out "$W/part.safetensors" > /dev/null 2>&1
[ -f "$W/part.safetensors" ] && ok || bad "no partial run to resume"
"$DEEPC" train --resume "$W/part.safetensors" $CSV --quiet --out "$W/ok.safetensors" > /dev/null 2>&1 && ok || bad "the untouched file resumes"

# craft NAME KEY=VALUE...: a copy of the partial run with its state changed
craft() {
  name=$1; shift
  PYTHONPATH="$SRC/tests" "$PY" - "$W/part.safetensors" "$W/$name.safetensors" "$@" <<'PYEOF'
import struct, sys
import st_edit
meta, t = st_edit.read(sys.argv[1])
kv = dict(a.split("=", 1) for a in sys.argv[3:])
if kv.pop("drop", None) == "best":
    del t["train.best_params"]
if kv.pop("perm", None) == "zeros":
    dt, sh, by = t["train.permutation"]
    t["train.permutation"] = (dt, sh, bytes(len(by)))
st_edit.set_state(meta, **kv)
st_edit.write(sys.argv[2], meta, t)
PYEOF
}
resume() { "$DEEPC" train --resume "$W/$1.safetensors" $CSV --quiet --out "$W/r.safetensors"; }

craft step1000 step=1000;                        expect_fail "step 1000 outside" resume step1000
craft step62 step=4611686018427387904;           expect_fail "step 4611686018427387904 outside" resume step62
craft sched sched_epoch=2147483647;              expect_fail "schedule counters out of range" resume sched
craft opt opt_steps=9223372036854775807;         expect_fail "optimizer steps, more than" resume opt
craft perm perm=zeros;                           expect_fail "a repeat: not a permutation" resume perm
craft acc seen=1 correct=100;                    expect_fail "training_state: seen 1, but" resume acc
craft acc2 correct=1000000;                      expect_fail "correct of" resume acc2
craft epochs epochs=0;                           expect_fail "epochs 0 outside" resume epochs
craft hist epoch=3;                              expect_fail "history lines for 3 epochs" resume hist
craft val val_off=1 nval=50;                     expect_fail "do not follow the" resume val
craft nobest drop=best es_best_epoch=1 es_best=0x1p-20; expect_fail "names epoch 1 as the best, but train.best_params is missing" resume nobest
# Ctrl-C while the final model is being written (a 13M-parameter model:
# 52 MB) finishes the save: the model is there, no temporary file is left
printf 'input 28x28\nflatten\ndense 16384 activation=relu\ndense 10 activation=softmax\nfit epochs=1 batch_size=64\n' > "$W/big.dc"
"$DEEPC" train "$W/big.dc" --data fashion-mnist --epochs 1 --limit 64 --quiet --out "$W/big.safetensors" > /dev/null 2>&1 &
pid=$!
i=0; while [ $i -lt 1200 ] && ! ls "$W"/big.safetensors.tmp.* > /dev/null 2>&1; do sleep 0.05; i=$((i+1)); done
kill -INT $pid 2>/dev/null; wait $pid; rc=$?
[ -f "$W/big.safetensors" ] && ! ls "$W"/big.safetensors.tmp.* > /dev/null 2>&1 && [ $rc -lt 128 -o $rc -eq 130 ] \
  && "$DEEPC" summary "$W/big.safetensors" > /dev/null 2>&1 && ok || bad "Ctrl-C during the save (rc $rc): $(ls "$W" | grep big)"
# writers create their temporary file with mkstemp: a symlink waiting at
# NAME.tmp (the old predictable name) is left alone, and so is its target
echo "precious" > "$W/victim"
tiny_png_folder "$W/imgs"
ln -sf "$W/victim" "$W/grid.png.tmp"
ln -sf "$W/victim" "$W/curves.svg.tmp"
"$DEEPC" augment "$W/imgs" --augment hflip --image-size 8x8 --grayscale --out "$W/grid.png" > /dev/null 2>&1 && ok || bad "augment grid"
"$DEEPC" train "$W/es.dc" $CSV --epochs 1 --quiet --plot "$W/curves.svg" --out "$W/p.safetensors" > /dev/null 2>&1 && ok || bad "train --plot"
[ "$(cat "$W/victim")" = precious ] && [ -L "$W/grid.png.tmp" ] && [ -f "$W/grid.png" ] && [ -f "$W/curves.svg" ] && ok \
  || bad "a symlink at NAME.tmp was followed: $(head -c 40 "$W/victim")"
# a model of 50,000 classes: the report stays linear in the classes (no
# 20 GB confusion matrix, no int overflow in its index)
printf 'input auto\ndense 50000 activation=softmax\nfit epochs=1 batch_size=16\n' > "$W/wide.dc"
"$DEEPC" train "$W/wide.dc" $CSV --epochs 1 --quiet --out "$W/wide.safetensors" > /dev/null 2>&1 && ok || bad "train a 50,000-class model"
"$DEEPC" eval "$W/wide.safetensors" $CSV > "$W/wide.out" 2>&1 && grep -q "confusion matrix: left out for 50000 classes" "$W/wide.out" \
  && ok || bad "eval of 50,000 classes: $(tail -2 "$W/wide.out")"
# a 100-byte model file that describes a 250M-parameter layer and holds no
# tensors is refused before anything is allocated (it took 2 GB and 9 s)
PYTHONPATH="$SRC/tests" "$PY" -c "
import st_edit
st_edit.write('$W/hollow.safetensors', {'format': 'deepc', 'format_version': '1', 'description': 'input 1000\\ndense 250000\\n'}, {})"
expect_fail 'tensor "dense.weight" is missing' "$DEEPC" summary "$W/hollow.safetensors"
rss=$("$PY" -c "
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)" "$DEEPC" summary "$W/hollow.safetensors")
[ "$rss" -lt 500 ] && ok || bad "refusing a hollow model file took $rss MB"
# names that are not UTF-8 (Latin-1 class folders, CSV categories) are
# escaped in the model file, which then loads again
mkdir -p "$W/latin/caf$(printf '\351')" "$W/latin/th$(printf '\351')"
cp "$W"/imgs/a/*.png "$W/latin/caf$(printf '\351')/"; cp "$W"/imgs/b/*.png "$W/latin/th$(printf '\351')/"
printf 'input 1x8x8\nflatten\ndense 2 activation=softmax\nfit epochs=1 batch_size=4\n' > "$W/tiny.dc"
"$DEEPC" train "$W/tiny.dc" --data "$W/latin" --quiet --out "$W/latin.safetensors" > /dev/null 2>&1 && \
  "$DEEPC" predict "$W/latin.safetensors" "$W/imgs/a/0.png" > "$W/latin.out" 2>&1 && grep -q "caf" "$W/latin.out" \
  && ok || bad "a Latin-1 class folder: $(cat "$W/latin.out" 2>/dev/null)"
{ echo "x,colour,y"; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "$i,r$(printf '\351')d,$((i % 2))"; echo "$i,blue,$(((i + 1) % 2))"; done; } > "$W/latin.csv"
printf 'input auto\ndense 2 activation=softmax\nfit epochs=1 batch_size=4\n' > "$W/tab.dc"
"$DEEPC" train "$W/tab.dc" --data "$W/latin.csv" --quiet --out "$W/latin_tab.safetensors" > /dev/null 2>&1 && \
  "$DEEPC" eval "$W/latin_tab.safetensors" --data "$W/latin.csv" > /dev/null 2>&1 && ok || bad "a Latin-1 CSV category"
# --limit bounds what is decompressed: a 1.1 MB .gz that truly holds 256 MiB
# of images costs 13 MB with --limit 20 (it cost 265 MB)
mkdir -p "$W/idx"
"$PY" -c "
import gzip, struct
def idx(path, dims, n):
    with gzip.open(path, 'wb', compresslevel=1) as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims))
        row = bytes(n // dims[0])
        for _ in range(dims[0] // 4096):
            f.write(row * 4096)
idx('$W/idx/train-images-idx3-ubyte.gz', [262144, 32, 32], 262144 * 1024)
idx('$W/idx/train-labels-idx1-ubyte.gz', [262144], 262144)
idx('$W/idx/t10k-images-idx3-ubyte.gz', [4096, 32, 32], 4096 * 1024)
idx('$W/idx/t10k-labels-idx1-ubyte.gz', [4096], 4096)"
printf 'input 32x32\nflatten\ndense 2 activation=softmax\nfit epochs=1 batch_size=4\n' > "$W/idx.dc"
rss=$("$PY" -c "
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 if r.returncode == 0 else -1)" \
  "$DEEPC" train "$W/idx.dc" --data "$W/idx" --limit 20 --quiet --out "$W/idx.safetensors")
if ldd "$DEEPC" | grep -q asan; then [ "$rss" -ge 0 ] && ok || bad "--limit 20 training failed"  # ASan's own memory hides the figure
else [ "$rss" -ge 0 ] && [ "$rss" -lt 150 ] && ok || bad "--limit 20 on 256 MiB of images: $rss MB"; fi
# a stored pipeline that redefines its width (which sized its arrays) or
# repeats a key is refused: no overflow, no leak (both under ASan)
for extra in 'width=4' 'label=y' 'pca=1'; do
  PYTHONPATH="$SRC/tests" "$PY" -c "
import sys, st_edit
meta, t = st_edit.read('$W/p.safetensors')
meta['preprocess'] += '$extra\\n'
st_edit.write('$W/pipe.safetensors', meta, t)"
  "$DEEPC" eval "$W/pipe.safetensors" $CSV > "$W/pipe.out" 2>&1; rc=$?
  [ $rc -ne 0 ] && [ $rc -lt 128 ] && ! grep -q Sanitizer "$W/pipe.out" && ok || bad "pipeline with a second $extra: rc $rc $(head -2 "$W/pipe.out")"
done

# CSV: two columns of one name are refused (eval looked columns up by name
# and fed the first one twice); a last record ending in an empty field
# without a newline parses (RFC 4180); --features may not repeat a column;
# labels "1" and "1.0" are one class
"$PY" -c "
print('x,x,y')
for i in range(40): print(f'{i % 7},{i % 2},{i % 2}')" > "$W/dupcols.csv"
expect_fail 'dupcols.csv:1: columns 1 and 2 are both named "x"' "$DEEPC" train "$SRC/models/iris.dc" --data "$W/dupcols.csv"
printf 'a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n6,,1' > "$W/eof_empty.csv"
"$DEEPC" train "$SRC/models/iris.dc" --data "$W/eof_empty.csv" --missing mean --epochs 1 --out "$W/eof.safetensors" > "$W/eof.out" 2>&1 \
  && grep -q "6 rows" "$W/eof.out" && grep -q "1 values imputed" "$W/eof.out" && ok || bad "trailing empty field at EOF: $(cat "$W/eof.out")"
expect_fail '--features: column "a" is listed twice' "$DEEPC" train "$SRC/models/iris.dc" --data "$W/eof_empty.csv" --features a,a,b
"$PY" -c "
print('a,y')
for i in range(30): print(f'{i},{[\"0\", \"1\", \"1.0\"][i % 3]}')" > "$W/one.csv"
"$DEEPC" train "$SRC/models/iris.dc" --data "$W/one.csv" --epochs 1 --out "$W/one.safetensors" > "$W/one.out" 2>&1 \
  && grep -q 'label "y" with 2 classes' "$W/one.out" && "$DEEPC" eval "$W/one.safetensors" --data "$W/one.csv" > /dev/null 2>&1 && ok \
  || bad "labels 1 and 1.0: $(head -3 "$W/one.out")"

# linear, not quadratic, in the columns and the classes: a 20,000-column
# CSV trains and evaluates (eval looked each column up with a scan); a
# stratified split over 4,000 one-row classes says why it cannot split
"$PY" -c "
w = 20000
print(','.join(f'c{j}' for j in range(w)) + ',y')
for i in range(4): print(','.join(str((i * j) % 5) for j in range(w)) + f',{i % 2}')" > "$W/wide.csv"
"$DEEPC" train "$SRC/models/iris.dc" --data "$W/wide.csv" --epochs 1 --quiet --out "$W/wide.safetensors" > /dev/null 2>&1 \
  && "$DEEPC" eval "$W/wide.safetensors" --data "$W/wide.csv" > /dev/null 2>&1 && ok || bad "a 20,000-column CSV"
"$PY" -c "
print('a,b,y')
for i in range(4000): print(f'{i % 13},{i % 7},{i * 0.37:.2f}')" > "$W/uniq.csv"
expect_fail "takes no row from any of the 4000 classes" "$DEEPC" train "$SRC/models/iris.dc" --data "$W/uniq.csv" --test-split 0.2 --stratify
# PCA over a 3,000-category one-hot column is refused with the width, not
# a cubic hang; a narrower one is solved by LAPACK
"$PY" -c "
print('c,n,y')
for i in range(6000): print(f'k{i % 3000},{i % 11},{i % 2}')" > "$W/cats.csv"
expect_fail "pca: 3001 encoded columns" "$DEEPC" train "$SRC/models/iris.dc" --data "$W/cats.csv" --pca 2
"$PY" -c "
print('c,n,y')
for i in range(2000): print(f'k{i % 600},{i % 11},{i % 2}')" > "$W/cats600.csv"
"$DEEPC" train "$SRC/models/iris.dc" --data "$W/cats600.csv" --pca 2 --epochs 1 --quiet --out "$W/cats.safetensors" > /dev/null 2>&1 \
  && ok || bad "PCA over 601 encoded columns"

# a resumed CSV run reads its table as the run did: options that differ are
# refused with each difference; none at all means the run's own (and the
# result equals the straight run); a changed table is refused
R="--data $SK/iris.csv --skip-rows 1 --no-header --test-split 0.2 --scale standard --seed 7 --epochs 3 --quiet"
"$DEEPC" train "$SRC/models/iris.dc" $R --out "$W/straight.safetensors" > /dev/null 2>&1 || bad "straight CSV run"
"$DEEPC" train "$SRC/models/iris.dc" $R --stop-after 9 --out "$W/rs.safetensors" > /dev/null 2>&1
cp "$W/rs.safetensors" "$W/rs0.safetensors"
expect_fail "these options differ from the run's: --scale minmax (the run used standard); --seed 3 (the run split its rows with seed 7)" \
  "$DEEPC" train --resume "$W/rs.safetensors" --data "$SK/iris.csv" --scale minmax --seed 3
cmp -s "$W/rs.safetensors" "$W/rs0.safetensors" && ok || bad "a refused resume changed the file"
"$DEEPC" train --resume "$W/rs.safetensors" --data "$SK/iris.csv" --quiet > /dev/null 2>&1 && cmp -s "$W/rs.safetensors" "$W/straight.safetensors" \
  && ok || bad "a resume without options differs from the straight run"
awk -F, -v OFS=, 'NR > 1 { $1 = $1 + 1 } 1' "$SK/iris.csv" > "$W/iris_changed.csv"
cp "$W/rs0.safetensors" "$W/rs1.safetensors"
expect_fail "iris_changed.csv is not the table the run was trained on" "$DEEPC" train --resume "$W/rs1.safetensors" --data "$W/iris_changed.csv"
# a damaged stored pipeline is the model file's error, with its line (it
# was reported as "trained on images")
PYTHONPATH="$SRC/tests" "$PY" -c "
import st_edit
meta, t = st_edit.read('$W/straight.safetensors')
meta['preprocess'] = '\n'.join(','.join(l.split(',')[:3]) if l.startswith('offset=') else l for l in meta['preprocess'].split('\n'))
st_edit.write('$W/pp_short.safetensors', meta, t)"
expect_fail "pp_short.safetensors: the stored preprocessing pipeline is malformed (near line" "$DEEPC" eval "$W/pp_short.safetensors" --data "$SK/iris.csv"
expect_fail "the stored preprocessing pipeline is malformed" "$DEEPC" summary "$W/pp_short.safetensors"

# an image folder's classes are matched to the model's by name: an
# evaluation folder without class "a" is scored on the right labels, one
# with an unknown class is refused
printf 'input 1x8x8\nflatten\ndense 3 activation=softmax\noptimizer adam lr=0.1\nfit epochs=30 batch_size=4\n' > "$W/tiny3.dc"
tiny_png_folder "$W/fold"
mkdir -p "$W/fold/c" && cp "$W/fold/a/0.png" "$W/fold/c/0.png" && "$PY" -c "
import struct, zlib
raw = b''.join(b'\\x00' + bytes([120] * 8) for _ in range(8))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
for i in range(3):
    open('$W/fold/c/%d.png' % i, 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 8, 8, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))"
"$DEEPC" train "$W/tiny3.dc" --data "$W/fold" --validation-split 0 --quiet --out "$W/tiny3.safetensors" > /dev/null 2>&1 || bad "train on 3 classes"
mkdir -p "$W/evalbc" && cp -r "$W/fold/b" "$W/fold/c" "$W/evalbc/"
"$DEEPC" eval "$W/tiny3.safetensors" --data "$W/evalbc" --json > "$W/bc.out" 2> "$W/bc.err" \
  && [ "$(json_field "$W/bc.out" "['support']")" = "[0, 3, 3]" ] && grep -q "1 of the model's 3 classes have no folder here: a" "$W/bc.err" && ok \
  || bad "eval on a folder lacking a class: $(cat "$W/bc.err") $(tail -c 300 "$W/bc.out")"
mkdir -p "$W/evalx" && cp -r "$W/fold/b" "$W/evalx/" && cp -r "$W/fold/b" "$W/evalx/zebra"
expect_fail 'class folder "zebra" is not one of the model' "$DEEPC" eval "$W/tiny3.safetensors" --data "$W/evalx"

# a 20 MB header of one 10-million-value array is refused before jansson
# builds its tree (it took ~1 GB)
"$PY" -c "
import struct
n = 10000000
h = b'{\"x\":{\"dtype\":\"F32\",\"shape\":[' + b'0,' * (n - 1) + b'0],\"data_offsets\":[0,0]}}'
h += b' ' * ((8 - len(h) % 8) % 8)
open('$W/json_nodes.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h)"
rss=$("$PY" -c "
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
ok = r.returncode == 1 and b'an array of over 8 values' in r.stderr
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 if ok else 99999)" "$DEEPC" summary "$W/json_nodes.safetensors")
[ "$rss" -lt 200 ] && ok || bad "a 20 MB JSON array header: $rss MB (or not refused)"

finish hardening
