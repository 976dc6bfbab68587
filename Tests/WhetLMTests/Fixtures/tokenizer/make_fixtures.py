#!/usr/bin/env python3
"""Generates tokenizer_cases.json: reference token ids for WhetLM's tokenizer tests.

Run with the venv that has transformers and tokenizers, from anywhere:

    python make_fixtures.py [DIR_WITH_GGUF] [GGUF_NAME]

Defaults: /tmp/peers and SmolLM2-135M-Instruct.Q4_1.gguf. The reference tokenizer is the one
transformers builds from the GGUF (`AutoTokenizer.from_pretrained(dir, gguf_file=...)`), the
same one that produced smollm2_reference.json. For each string the fixture records:

- `ids`: `tok.encode(text, add_special_tokens=False)`;
- `decoded` / `decoded_skip_special`: `tok.decode(ids)` without and with skip_special_tokens;
- `ids_digits`: the same vocabulary with SmolLM2's original `tokenizer.json` pre-tokenizer,
  Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)], which is what
  llama.cpp's "smollm" pre-tokenizer does too (transformers' GGUF loader drops the Digits step);
- `ids_llama3`: the same vocabulary split with Llama 3's regex (transformers' GGUF "llama-bpe"),
  Sequence[Split(LLAMA3, isolated), ByteLevel(use_regex=False)].
"""

import copy
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import Regex, pre_tokenizers
from transformers import AutoTokenizer

GGUF_DIR = sys.argv[1] if len(sys.argv) > 1 else "/tmp/peers"
GGUF_NAME = sys.argv[2] if len(sys.argv) > 2 else "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer_cases.json")

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

LONG_PARAGRAPHS = [
    "Whetstone is a small toolkit for post-training language models. It loads a GGUF file, "
    "tokenizes chat prompts with the model's own template, and runs supervised fine-tuning, "
    "preference optimisation and evaluation loops on a CPU. The tokenizer has to agree with the "
    "reference implementation on every single id, because a model sees nothing but those ids.",
    "Byte-level BPE starts from the 256 byte values, written as printable characters so that a "
    "space becomes 'Ġ' and a newline 'Ċ'. The text is first split into pieces by a regular "
    "expression: contractions like it's, we're, they've, I'm, you'll and he'd; runs of letters "
    "with an optional leading space; runs of digits; runs of punctuation; and whitespace.",
    "def train(model, data, epochs=3, lr=3e-4):\n    for epoch in range(epochs):\n"
    "        for i, batch in enumerate(data):\n            loss = model(batch).mean()\n"
    "            loss.backward()\n            if i % 100 == 0:\n"
    "                print(f\"epoch {epoch} step {i}: loss={loss.item():.4f}\")\n",
    "In 2024 the team measured 12,345 prompts at 3.14 seconds each; the median was 0.57 s and "
    "the 99th percentile 12.8 s. Costs fell by 42% (from $1,250.00 to $725.50) after caching.",
    "Français : « Où est la bibliothèque ? » — Deutsch: Größe, Straße, Übermut. Español: "
    "¿Dónde está el niño? Português: não, coração. Русский: Привет, как дела? Ελληνικά: "
    "Καλημέρα κόσμε. 日本語：東京は日本の首都です。中文：你好，世界！한국어: 안녕하세요.",
    "Emoji carry several code points: 👍🏽 thumbs up, 👨‍👩‍👧‍👦 family, 🏳️‍🌈 rainbow flag, "
    "🇫🇷🇯🇵 flags, ❤️ heart with a variation selector, and 🧑🏿‍💻 a technologist.",
    "<|im_start|>user\nSummarise the report in three bullet points.<|im_end|>\n"
    "<|im_start|>assistant\n- Revenue grew.\n- Costs fell.\n- Margins improved.<|im_end|>\n",
]


def long_text():
    parts = []
    k = 0
    while True:
        for p in LONG_PARAGRAPHS:
            parts.append(p if k == 0 else p.replace("the", f"the{'' if k % 2 else ' very'}"))
        k += 1
        if k == 3:
            break
    return "\n\n".join(parts)


CASES = [
    ("empty", ""),
    ("hello", "Hello world"),
    ("double_space_newlines", "Hello  world\n\n x"),
    ("leading_trailing_spaces", "   leading and trailing   "),
    ("trailing_space", "trailing space "),
    ("only_spaces", "     "),
    ("only_newlines", "\n\n\n"),
    ("mixed_whitespace", "a \t b\r\n\r\nc\u00a0d\u3000e\u2028f"),
    ("contractions", "it's don't we're they've I'm you'll he'd"),
    ("contractions_upper", "IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D it'S"),
    ("contraction_edges", "'s 't x'ss 'sa ''s rock'n'roll '"),
    ("long_s", "it\u017fs it'\u017f"),
    ("digits", "12345 and 3.14 and 1,000,000"),
    ("digits_mixed", "x1y22z333 2024-01-01 v1.2.3 0x7fff"),
    ("unicode_numbers", "٣٤٥ ١٢ ²³ ½ Ⅻ ९८"),
    ("accents", "café naïve résumé Åland Ångström"),
    ("decomposed_accents", "cafe\u0301 nai\u0308ve"),
    ("cjk", "日本語のテキストと中文文本，还有한국어。"),
    ("arabic_hebrew", "مرحبا بالعالم שלום עולם"),
    ("hindi_thai", "नमस्ते दुनिया สวัสดีชาวโลก"),
    ("cyrillic_greek", "Съешь же ещё этих мягких французских булок. Ξεσκεπάζω"),
    ("emoji_simple", "I ❤️ 🍕 and 🎉!"),
    ("emoji_zwj", "👨‍👩‍👧‍👦 👩🏽‍💻 🧑‍🤝‍🧑"),
    ("emoji_flags", "🇫🇷🇺🇸🇯🇵 🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
    ("code_tabs", "def f(x):\n\tif x:\n\t\treturn x  # comment\n\treturn None\n"),
    ("code_spaces", "class A:\n    def __init__(self):\n        self.x = [1, 2, 3]\n"),
    ("json_like", '{"key": "value", "n": 42, "ok": true}'),
    ("punctuation_runs", "Wait... what?!?! (yes) [no] {maybe} <tag/> a--b a_b @user #tag"),
    ("special_embedded", "<|im_start|>user\nhi<|im_end|>"),
    ("special_adjacent", "x<|im_end|><|im_start|>y <|endoftext|> z"),
    ("special_partial", "<|im_start <|im_end| <|IM_START|> <repo_name><file_sep>"),
    ("angle_brackets", "<div>1 < 2 > 0</div>"),
    ("control_chars", "a\u0000b\u0001c\u007fd\u200be\ufeff"),
    ("replacement_char", "bad \ufffd char"),
    ("private_use", "\ue000\U000f0000 x"),
    ("math", "∑ᵢ xᵢ² ≤ ∞, ∀ε>0 ∃δ; α→β"),
    ("url", "https://example.com/path?q=1&r=two#frag"),
    ("numbers_with_spaces", "  42  7\n9"),
    ("space_before_punct", "Hello , world ! it 's"),
    ("many_spaces", "a" + " " * 40 + "b"),
    ("mixed_scripts_no_space", "abcАБВ123αβγ日本"),
    ("long", long_text()),
]

# Ids whose decoding has lone or broken UTF-8: byte tokens from the vocabulary.
DECODE_ONLY = {
    # Ġ + first two bytes of a 3-byte sequence, then an ASCII letter
    "truncated_sequence": ["Ġ", "â", "Ģ", "a"],
    # a lone continuation byte
    "lone_continuation": ["a", "\u00a2", "b"],
    # 4-byte lead followed by a non-continuation
    "bad_lead": ["ð", "a"],
    # an overlong encoding (E0 80 80) and a surrogate encoding (ED A0 80)
    "overlong_and_surrogate": ["à", "Ģ", "Ģ", "í", "ł", "Ģ", "x"],
    # a truncated 4-byte sequence at the end
    "truncated_at_end": ["x", "ð", "Ł", "ĺ"],
}


def main():
    tok = AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF_NAME)
    backend = tok.backend_tokenizer
    pipeline = json.loads(backend.to_str())

    digits = copy.deepcopy(backend)
    digits.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ]
    )
    llama3 = copy.deepcopy(backend)
    llama3.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )

    cases = []
    for name, text in CASES:
        ids = tok.encode(text, add_special_tokens=False)
        cases.append(
            {
                "name": name,
                "text": text,
                "ids": ids,
                "tokens": tok.convert_ids_to_tokens(ids),
                "decoded": tok.decode(ids),
                "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
                "ids_with_special_tokens": tok.encode(text, add_special_tokens=True),
                "ids_digits": digits.encode(text, add_special_tokens=False).ids,
                "ids_llama3": llama3.encode(text, add_special_tokens=False).ids,
            }
        )

    decode_cases = []
    for name, tokens in DECODE_ONLY.items():
        ids = tok.convert_tokens_to_ids(tokens)
        decode_cases.append({"name": name, "ids": ids, "decoded": tok.decode(ids)})

    fixture = {
        "generator": "make_fixtures.py",
        "model": GGUF_NAME,
        "transformers_version": transformers.__version__,
        "tokenizers_version": tokenizers.__version__,
        "pipeline": {k: pipeline.get(k) for k in ("normalizer", "pre_tokenizer", "post_processor", "decoder")},
        "model_type": pipeline["model"]["type"],
        "ignore_merges": pipeline["model"].get("ignore_merges"),
        "special_token_ids": sorted(tok.all_special_ids),
        "added_tokens": [
            {"id": t["id"], "content": t["content"], "special": t["special"]} for t in pipeline["added_tokens"]
        ],
        "cases": cases,
        "decode_cases": decode_cases,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    long_ids = next(c["ids"] for c in cases if c["name"] == "long")
    print(f"wrote {OUT}: {len(cases)} cases, long text {len(long_ids)} tokens")


if __name__ == "__main__":
    main()
