#!/bin/sh
# tables.sh [OUTDIR] — real tables for the CSV examples and tests, from
# Debian's python3-sklearn: diabetes.csv is the bundled diabetes data and
# target joined into one table with a header. The classification tables
# (iris, wine, breast_cancer) are used as shipped. Prints the sklearn folder.
set -e
OUT=${1:-data}
SK=/usr/lib/python3/dist-packages/sklearn/datasets/data
[ -f "$SK/iris.csv" ] || { echo "tables.sh: $SK not found (apt-get install python3-sklearn)" >&2; exit 1; }
mkdir -p "$OUT"
if [ ! -s "$OUT/diabetes.csv" ]; then
  tmp=$(mktemp -d)
  zcat "$SK/diabetes_data_raw.csv.gz" | tr -s ' ' ',' > "$tmp/x"
  zcat "$SK/diabetes_target.csv.gz" | awk '{ printf "%g\n", $1 }' > "$tmp/y"
  { echo "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression"; paste -d, "$tmp/x" "$tmp/y"; } > "$OUT/diabetes.csv.tmp"
  mv "$OUT/diabetes.csv.tmp" "$OUT/diabetes.csv"
  rm -rf "$tmp"
fi
echo "$SK"
