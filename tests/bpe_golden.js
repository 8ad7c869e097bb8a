// bpe_golden.js DIR FILE — the ids of FILE by the gpt-3-encoder package's
// own encoder (DIR/Encoder.js, as npm ships it), space separated on one
// line, for tests/bpe.sh. The package builds its output with Array.concat
// per piece, which is quadratic on a megabyte of text; the one line that
// does it is replaced by a push (same ids, linear time). Nothing else of
// the encoder is touched.
const fs = require('fs');
const path = require('path');
const [dir, file] = process.argv.slice(2);
let src = fs.readFileSync(path.join(dir, 'Encoder.js'), 'utf-8');
const slow = 'bpe_tokens = bpe_tokens.concat(new_tokens)';
if (!src.includes(slow)) throw new Error('Encoder.js is not the version this script knows');
src = src.replace(slow, 'for (const t of new_tokens) bpe_tokens.push(t)');
const mod = { exports: {} };
new Function('require', 'module', 'exports', '__dirname', src)(require, mod, mod.exports, dir);
const ids = mod.exports.encode(fs.readFileSync(file, 'utf-8'));
process.stdout.write(ids.join(' ') + '\n');
