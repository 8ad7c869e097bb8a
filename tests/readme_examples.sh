#!/bin/sh
# readme_examples.sh SOURCE_DIR BUILD_DIR — run every ```sh block of the
# README (the examples), in a scratch folder where build/ is BUILD_DIR.
set -eu
SRC=$1; BUILD=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
ln -s "$BUILD" "$W/build"
ln -s "$SRC/models" "$W/models"
ln -s "$SRC/examples" "$W/examples"
ln -s "$SRC/CMakeLists.txt" "$W/CMakeLists.txt"
ln -s "$SRC/scripts" "$W/scripts"
awk '/^```sh$/ {on=1; next} /^```/ {on=0} on' "$SRC/README.md" > "$W/examples.sh"
blocks=$(grep -c '^```sh$' "$SRC/README.md")
cd "$W"
if sh -e examples.sh > out.txt 2>&1; then
  echo "readme: $blocks passed, 0 failed"
else
  cat out.txt
  echo "readme: 0 passed, $blocks failed"
  exit 1
fi
