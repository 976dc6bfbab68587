"""Byte-level BPE tokenizers with the pre-tokenizers of the DeepSeek (LLM, Coder, V3),
Falcon, StarCoder and Command-R families, plus one made of every `Split` behaviour, and
`tokenizers`' own pre-tokens and ids for a broad set of strings.

Each family shares the small byte-level BPE model of `bpe-gpt2/tokenizer.json` (the ids
exercise the whole pipeline; the pre-tokens are what differs by family). The pre-tokenizer
of each family is the one in that family's published `tokenizer.json` (the regexes are the
ones llama.cpp's `llama-vocab.cpp` lists for the same `tokenizer.ggml.pre`, which were
copied from those files), built here with `tokenizers`' Python API so that `tokenizers`
itself serialises it.

Run from this directory with the `tokenizers` package:
    python make_bpe_family_fixtures.py
It writes bpe-families/<family>/tokenizer.json and bpe-families/reference.json.
"""
import json
import os
import sys

from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, __version__

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_spm_fixtures import TESTS, CORPUS  # noqa: E402

# DeepSeek's letter class. The code points that NFC maps to others (U+1F7D, U+1FBE, U+1FD3,
# U+1FDB, U+2126, U+212A) are escaped: llama.cpp's copy of this regex carries them normalised,
# which turns `K-ℭ` (U+212A-U+212D) into `K-ℭ` (U+004B-U+212D).
DEEPSEEK_LETTERS = (
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-"
    "\u1f7dᾀ-ᾴᾶ-ᾼ" "\u1fbe" "ῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ" "\u2126" "ℨ" "\u212a" "-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ"
    "\U00010400-\U0001044f\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2"
    "\U000118a0-\U000118df\U0001e900-\U0001e943]+"
)
FAMILIES = {
    "deepseek-llm": [
        "[\r\n]", DEEPSEEK_LETTERS, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$",
        "[一-龥ࠀ-一가-퟿]+", "\\p{N}+",
    ],
    "deepseek-coder": ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"],
    "deepseek-v3": [
        "\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
        "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ],
}


def byte_level(use_regex):
    return pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=use_regex)


def build(base, family):
    tok = Tokenizer.from_str(base)
    if family in FAMILIES:
        splits = [pre_tokenizers.Split(Regex(p), behavior="isolated", invert=False)
                  for p in FAMILIES[family]]
        tok.pre_tokenizer = pre_tokenizers.Sequence(splits + [byte_level(False)])
    elif family == "falcon":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Punctuation(behavior="contiguous"), byte_level(True),
            pre_tokenizers.Digits(individual_digits=False),
            pre_tokenizers.Split(Regex("[0-9][0-9][0-9]"), behavior="isolated", invert=False),
        ])
    elif family == "starcoder":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True), byte_level(True)])
    elif family == "command-r":
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True), byte_level(True)])
    elif family == "split-behaviours":
        # Every SplitDelimiterBehavior, a String pattern, and inversion.
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split("\n", behavior="merged_with_previous"),
            pre_tokenizers.Split(Regex("\\p{N}+"), behavior="merged_with_next"),
            pre_tokenizers.Split(Regex("[.,;:!?]"), behavior="contiguous"),
            pre_tokenizers.Split(Regex("\\s+"), behavior="removed"),
            pre_tokenizers.Split(Regex("[aeiou]+"), behavior="isolated", invert=True),
            pre_tokenizers.Punctuation(behavior="isolated"),
            byte_level(False),
        ])
    else:
        raise ValueError(family)
    return tok


EXTRA = [
    "ΐ ΰ ώ Ί ᾶ ῐῑ ῠῡ", "𐐀𐐨 𞤀𞤢 ꭰꮿ Ａｂｃ ｘｙｚ", "！？（）：～　。、「」", "‘quoted’ “double”",
    "漢字かなカナ한글", "ひらがな カタカナ ｶﾀｶﾅ", "ࠀ ࠁ", "abc   ", "abc \n ", "   \n\n  x",
    "$+<=>^~|` !#%&*", "a$b+c<d=e>f^g~h|i`j", "1234567 12 123 1234 ١٢٣٤ ²³ ½",
    "Hello, World... Yes!!! No???", "x.y,z;w:v", "tab\there\r\nthere\rback",
    "e\u0301 vs \u00e9 and A\u030a", "\u1f7d\u1f7c \u1fd3\u1fd2 \u1fdb\u1fda \u03ce\u0390",
    "\u2126\u212a\u1fbe K\u03a9\u03b9 \u212b \u00c5 [\u0400-\u2000]", "ﬁ ﬂ ﬃ", "a'S b'T c'Re D'LL",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "bpe-gpt2", "tokenizer.json")) as f:
        base = f.read()
    texts = list(dict.fromkeys(TESTS + CORPUS + EXTRA))
    families = list(FAMILIES) + ["falcon", "starcoder", "command-r", "split-behaviours"]
    out = {
        "description": __doc__.strip().splitlines()[0],
        "versions": {"tokenizers": __version__},
        "fields": {
            "pre_tokens": "tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)"
                          " if normalizer else text), strings only",
            "ids": "tok.encode(text, add_special_tokens=False).ids",
            "decode": "tok.decode(ids, skip_special_tokens=False)",
            "note": "pre_tokens run the pre-tokenizer alone, so added tokens such as"
                    " <|endoftext|> are not split out of them",
        },
        "texts": texts,
        "families": {},
    }
    for family in families:
        tok = build(base, family)
        d = os.path.join(here, "bpe-families", family)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        cases = []
        for t in texts:
            n = tok.normalizer.normalize_str(t) if tok.normalizer else t
            pre = [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(n)]
            ids = tok.encode(t, add_special_tokens=False).ids
            cases.append({"pre_tokens": pre, "ids": ids,
                          "decode": tok.decode(ids, skip_special_tokens=False)})
        out["families"][family] = cases
    with open(os.path.join(here, "bpe-families", "reference.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(len(texts), "texts,", len(families), "families")


if __name__ == "__main__":
    main()
