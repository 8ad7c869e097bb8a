"""bpe_corpus.py OUT — varied text for the BPE golden test (tests/bpe.sh),
besides the fortunes: Chinese, Japanese, Korean, Arabic, Hebrew, Russian,
Greek, Hindi, accented Latin, emoji and symbols; runs of spaces, tabs and
newlines, and the whitespace JavaScript and PCRE disagree on (U+0085,
U+FEFF, U+00A0, U+2000-U+200A, U+3000); numbers of every shape and digits
of other scripts; contractions in both cases ('s 'S 't 're 've 'm 'll 'd);
<|endoftext|> between documents; URLs, code and e-mail headers; and long
pieces (runs of letters, digits, repeated letters and punctuation without
a space, where merges overlap and the order of the rounds matters). Seeded:
the same file every time."""
import random
import sys

random.seed(7)
words = {
    "zh": "你好 世界 机器 学习 深度 神经 网络 训练 模型 数据 中文 测试 语言 自然 处理 的 是 在 了 我们".split(),
    "ja": "こんにちは 世界 機械 学習 です ます カタカナ ひらがな 東京 日本語".split(),
    "ko": "안녕하세요 세계 기계 학습 한국어 모델".split(),
    "ar": "مرحبا بالعالم التعلم الآلي الشبكات العصبية".split(),
    "he": "שלום עולם למידה מכונה".split(),
    "ru": "Привет мир машинное обучение нейронные сети Ёжик".split(),
    "el": "Γειά σου κόσμε μάθηση Ωμέγα".split(),
    "hi": "नमस्ते दुनिया मशीन लर्निंग".split(),
    "latin": "café naïve Zürich façade São Paulo Ångström œuvre Łódź smørrebrød".split(),
    "emoji": "😀 🚀 👍🏽 🇫🇷 ❤️ 🧑‍💻 ✨ 🎉 ½ ∑ ∞ ≠ → ™ © ® € £ ¥".split(),
    "en": "the quick brown fox jumps over lazy dog GPT model token byte pair encoding".split(),
}
spaces = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", " \n ", "\r\n", "\u0085", "\ufeff", "\u00a0", "\u2003", "\u3000",
          " \u00a0 ", "\u2009", "\u200a\u200a"]
contr = ["'s", "'S", "'t", "'T", "'re", "'RE", "'ve", "'m", "'ll", "'d", "'D", "''", "'x"]
nums = ["0", "42", "3.14159", "1,000,000", "-7", "1e-9", "0x1F", "٣٤٥", "१२३", "²³", "Ⅻ", "12345678901234567890"]
misc = ["<|endoftext|>", "http://example.com/a?b=c&d=e", "user@example.org", "fn main() { println!(\"hi\"); }",
        "if (x != 0) { return y / x; }", "Subject: Re: [SPAM] you've won!!!", "$$$", "...", "--", "«»", "“quoted”"]
out = []
size = 0
while size < 400_000:
    kind = random.random()
    if kind < 0.5:
        lang = random.choice(list(words))
        w = random.choice(words[lang])
    elif kind < 0.65:
        w = random.choice(words["en"]) + random.choice(contr)
    elif kind < 0.8:
        w = random.choice(nums)
    else:
        w = random.choice(misc)
    s = w + random.choice(spaces if random.random() < 0.4 else [" "])
    out.append(s)
    size += len(s.encode("utf-8"))
# long single pieces: GPT-2's pattern keeps each run whole (red team 3, F02)
for n in (3000, 1500):
    out.append(" " + "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)))
    out.append(" " + "".join(random.choice("0123456789") for _ in range(n // 3)))
    out.append(" " + "".join(random.choice("etaoin") for _ in range(n)))
    out.append(" " + "".join(random.choice("!?.,-=") for _ in range(n // 3)))
out.append(" " + "a" * 1001 + " " + "ab" * 777 + " " + "Ġ" * 300 + "\n")
open(sys.argv[1], "w", encoding="utf-8", newline="").write("".join(out))
