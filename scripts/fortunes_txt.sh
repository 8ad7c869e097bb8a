#!/bin/sh
# fortunes_txt.sh [OUT.txt] — Debian's fortune cookies (packages fortunes and
# fortunes-min, /usr/share/games/fortunes) as one text file for the
# character-level GPT models/char_gpt.dc: every English collection in name
# order, each fortune followed by a blank line instead of the '%' that
# separates them in the source files. Installs the packages when missing.
set -e
cd "$(dirname "$0")/.."
OUT=${1:-data/fortunes.txt}
SRC=/usr/share/games/fortunes
if [ ! -f $SRC/fortunes ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends fortunes fortunes-min > /dev/null
fi
mkdir -p "$(dirname "$OUT")"
tmp="$OUT.tmp.$$"
# collections are the files without an extension (the .dat indexes and .u8
# links are not text to learn from); a '%' line ends a fortune
for f in $(ls $SRC | grep -v '\.' | sort); do
  [ -f "$SRC/$f" ] && sed 's/^%$//' "$SRC/$f"
done > "$tmp"
mv "$tmp" "$OUT"
echo "$OUT: $(wc -c < "$OUT") bytes, $(grep -c '^$' "$OUT") fortunes"
