#!/bin/sh
# onnxruntime.sh [DIR] — onnxruntime for node (the npm package
# onnxruntime-node, its CPU runtime shipped inside the package) into DIR
# (default data/onnxruntime), the reference runtime of deepc's ONNX tests
# (tests/onnx_export.sh). Installed with --ignore-scripts: the package's
# install script would fetch CUDA files. Needs npm and the npm registry;
# nothing is fetched when DIR has it.
set -e
cd "$(dirname "$0")/.."
DIR=${1:-data/onnxruntime}
VERSION=1.23.2
if [ -f "$DIR/node_modules/onnxruntime-node/package.json" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/onnxruntime-node/package.json"; then exit 0; fi
command -v npm > /dev/null || { echo "onnxruntime.sh: needs npm (apt-get install npm)" >&2; exit 1; }
mkdir -p "$DIR"
(cd "$DIR" && npm install --silent --ignore-scripts --no-audit --no-fund --no-save "onnxruntime-node@$VERSION" > /dev/null)
echo "$DIR: onnxruntime-node $VERSION"
