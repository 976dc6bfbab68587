#!/usr/bin/env python3
"""Reference fixtures for SentencePiece-style and byte-level BPE tokenizers (all built locally, no hub).

Writes, next to this file:
  spm/tokenizer.model            SentencePiece BPE model trained here (byte_fallback, Llama-2-like spec)
  spm/hf/                        transformers LlamaTokenizer (legacy=False, the transformers 5 default) saved
                                 with save_pretrained (tokenizer.json, tokenizer_config.json) + tokenizer.model
  spm/hf-legacy/                 the same with legacy=True (Metaspace prepend_scheme "always")
  spm/hf-prepend-normalizer/     spm/hf/tokenizer.json rewritten to the transformers 4.x Llama-2 layout
                                 (normalizer Sequence[Prepend "▁", Replace " "->"▁"], pre_tokenizer null)
  spm/model.f32.gguf             tiny random Llama converted by llama.cpp's convert_hf_to_gguf.py (SPM vocab)
  spm/reference.json             ids / decodes per test string: HF (both legacy modes), raw sentencepiece
  bpe-llama3/tokenizer.json      byte-level BPE (tokenizers BpeTrainer), Llama-3 regex Split + ByteLevel
  bpe-gpt2/tokenizer.json        byte-level BPE, GPT-2 ByteLevel(use_regex=True)
  bpe-*/tokenizer_config.json, bpe-*/reference.json

Run with the /tmp/lmref venv: python make_spm_fixtures.py
Needs sentencepiece, protobuf, tokenizers, transformers 5, torch, and llama.cpp's converter + gguf-py at
$LLAMACPP_CONVERTER_DIR (default /work/shared/peers/llamacpp). The converter runs in a subprocess (this file with
--convert-worker) that, like ../architectures/make_architecture_fixtures.py, wraps
conversion.base.TextModel.get_vocab_base_pre so an unknown BPE pre-tokenizer hash does not abort (the SPM path
does not use it; kept for robustness).
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONVERTER_DIR = Path(os.environ.get("LLAMACPP_CONVERTER_DIR", "/work/shared/peers/llamacpp"))
CONVERTER = CONVERTER_DIR / "convert_hf_to_gguf.py"
PRE_TOKENIZER_FALLBACK = "gpt-2"


def convert_worker(argv):
    sys.path.insert(0, str(CONVERTER_DIR))
    sys.path.insert(1, str(CONVERTER_DIR / "gguf-py"))
    import conversion.base as base  # noqa: E402
    import convert_hf_to_gguf  # noqa: E402

    original = base.TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer):
        try:
            return original(self, tokenizer)
        except NotImplementedError:
            base.logger.warning("fixture workaround: unrecognised BPE pre-tokenizer hash, using %r",
                                PRE_TOKENIZER_FALLBACK)
            return PRE_TOKENIZER_FALLBACK

    base.TextModel.get_vocab_base_pre = get_vocab_base_pre
    sys.argv = [str(CONVERTER)] + argv
    convert_hf_to_gguf.main()


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--convert-worker":
    convert_worker(sys.argv[2:])
    sys.exit(0)

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, LlamaTokenizer, PreTrainedTokenizerFast  # noqa: E402

sys.path.insert(0, str(CONVERTER_DIR / "gguf-py"))
import gguf  # noqa: E402

torch.set_num_threads(1)

# ----------------------------------------------------------------------------------------------------
# Corpus (fixed, ~5 KB) and test strings
# ----------------------------------------------------------------------------------------------------

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! This is a small test of the tokenizer.",
    "Tokenizers split text into pieces; the pieces are mapped to ids.",
    "She said: \"I don't know, but we'll see what they're doing.\"",
    "It's a beautiful day in the neighbourhood, isn't it?",
    "In 1969, Apollo 11 landed on the Moon. The mission lasted 8 days, 3 hours and 18 minutes.",
    "Prices: $4.99, €12.50, £7; discount 15% off orders over 100,000 units.",
    "Call 555-0123 or +1 (800) 123-4567 before 2024-01-01 at 09:30.",
    "Café naïve résumé façade jalapeño Zürich Ångström crème brûlée déjà vu.",
    "Les élèves étudient le français à l'école; où est la bibliothèque?",
    "Über die Brücke gehen Mädchen und Jungen, schön und groß.",
    "El niño comió una manzana mañana por la mañana en España.",
    "Привет, мир! Это небольшой тест токенизатора на русском языке.",
    "Москва — столица России. Сегодня хорошая погода.",
    "Київ, Україна: добрий день, як справи?",
    "日本語のテキストです。東京は大きい都市です。今日は天気がいいです。",
    "これはテストです。ひらがなとカタカナと漢字を使います。",
    "中文分词测试：我们今天去北京，明天去上海。",
    "你好，世界！这是一个简单的测试。",
    "한국어 문장도 조금 있습니다. 안녕하세요!",
    "Ελληνικά: Καλημέρα κόσμε, αυτό είναι ένα τεστ.",
    "مرحبا بالعالم، هذا اختبار بسيط.",
    "emoji 😀 🎉 👍 ❤️ 🚀 and more emoji 😀😀 🎉🎉",
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n\tprint(i * 2)\n",
    "if (x != nullptr && y->next) { return x[0] + y[1]; }",
    "let total = items.map { $0.price }.reduce(0, +)",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "<html><body><p class=\"note\">Hi &amp; bye</p></body></html>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": true, \"b\": null}}",
    "1234567890 3.14159 2.71828 42 007 1,000,000 0x1F 1e-9",
    "   multiple   spaces   here   and\ttabs\t\there",
    "line one\nline two\n\nline four\r\nwindows line\n",
    "    indented code block\n        deeper indent\n",
    "UPPER CASE WORDS AND lower case words And Mixed Case",
    "snake_case_name camelCaseName kebab-case-name PascalCase",
    "https://example.com/path?query=1&other=two#fragment",
    "email: someone@example.org, path: /usr/local/bin/python3",
    "The the THE tHe; a an and or not; is was were be been being.",
    "Numbers in words: one two three four five six seven eight nine ten.",
]

TESTS = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", " \n ", "\r\n",
    "Hello", "hello", " Hello", "Hello ", "  Hello  world  ", "Hello world", "Hello, world!",
    "Hello\tworld", "Hello\nworld", "line1\n\nline3\n", "a  b   c    d",
    "The quick brown fox jumps over the lazy dog.",
    "don't won't it's we'll they're I'm",
    "Café résumé naïve", "e\u0301 (combining acute)", "Ångström Zürich", "crème brûlée", "ÀÉÎÕÜ àéîõü ß ñ ç",
    "日本語", "東京は大きい都市です。", "中文分词", "你好，世界！", "한국어", "안녕하세요",
    "Привет, мир!", "Москва", "Київ", "Ελληνικά", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดี",
    "😀", "😀😀😀", "👍🏽", "❤️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇺🇸", "🚀 launch", "emoji😀inline",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u00a0nbsp\u00a0", "zero\u200bwidth", "\u2028sep", "Ω≈ç√∫", "\x00\x01\x7f",
    "def add(a, b):\n    return a + b\n", "if (x != nullptr) { return x[0]; }", "    indented",
    "\tTabbed\tcode", "x=1;y=2;z=x+y", "<html><p>Hi</p></html>", "{\"a\": [1, 2, 3]}",
    "12345", "3.14159", "1,000,000", "2024-01-01", "0x1F", "007", "1e-9", "123456789012345678901234567890",
    "<s>", "</s>", "<unk>", "<s>Hello</s>", "Hello<s>world", "Hello </s> world", " <s> ", "<s> Hello",
    "<s><s>", "<|endoftext|>", "[INST] Hi [/INST]",
    "▁", "▁Hello", "Hello▁world", "<0x41>",
    "https://example.com/path?query=1&x=2", "someone@example.org",
    "UPPER lower MiXeD", "snake_case camelCase", "!!!???...", "---===+++",
    "a", "aa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", " a", "a ",
]


def versions():
    return {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "sentencepiece": spm.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def pretty(o):
    return json.dumps(o, ensure_ascii=False, indent=1)


def sha256(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tokenizer_json_summary(path):
    j = json.loads(path.read_text())
    model = {k: v for k, v in j["model"].items() if k not in ("vocab", "merges")}
    model["vocab_size"] = len(j["model"]["vocab"])
    model["merges_count"] = len(j["model"].get("merges", []))
    return {"normalizer": j["normalizer"], "pre_tokenizer": j["pre_tokenizer"], "model": model,
            "post_processor": j["post_processor"], "decoder": j["decoder"],
            "added_tokens": [{k: t[k] for k in ("id", "content", "special", "normalized", "lstrip", "rstrip",
                                                "single_word")} for t in j["added_tokens"]]}


# ----------------------------------------------------------------------------------------------------
# 1. SentencePiece
# ----------------------------------------------------------------------------------------------------

SPM_VOCAB = 600
SPM_TRAINER = dict(
    model_type="bpe", vocab_size=SPM_VOCAB, byte_fallback=True, character_coverage=0.98,
    # Llama-2-like trainer spec: identity normalization, dummy prefix, keep whitespace, split digits.
    normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False,
    split_digits=True, allow_whitespace_only_pieces=True, split_by_unicode_script=True,
    split_by_whitespace=True, max_sentencepiece_length=16,
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>",
    num_threads=1, shuffle_input_sentence=False, input_sentence_size=0, seed_sentencepiece_size=100000,
    hard_vocab_limit=True, minloglevel=2,
)


def train_spm(out):
    buf = io.BytesIO()
    # Repeat the corpus so frequency ties are fewer; order is fixed.
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS * 3), model_writer=buf, **SPM_TRAINER)
    out.write_bytes(buf.getvalue())


def load_hf_spm(spm_dir, legacy):
    tmp = HERE / "_spm_tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    shutil.copy(spm_dir / "tokenizer.model", tmp / "tokenizer.model")
    tok = LlamaTokenizer.from_pretrained(str(tmp), legacy=legacy, add_bos_token=True, add_eos_token=False)
    shutil.rmtree(tmp)
    return tok


def prepend_normalizer_variant(src, dst):
    """The layout older transformers (4.x LlamaConverter, legacy=True) wrote for Llama-2 tokenizer.json."""
    j = json.loads(src.read_text())
    j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                           {"type": "Replace", "pattern": {"String": " "},
                                                            "content": "\u2581"}]}
    j["pre_tokenizer"] = None
    for t in j["added_tokens"]:
        t["normalized"] = False
    dst.mkdir(parents=True, exist_ok=True)
    dst.joinpath("tokenizer.json").write_text(json.dumps(j, ensure_ascii=False, indent=2) + "\n")
    return Tokenizer.from_file(str(dst / "tokenizer.json"))


def spm_cases(sp, tok, tok_legacy, tok_prepend):
    cases, disagreements = [], []
    for text in TESTS:
        with_sp = tok(text, add_special_tokens=True)["input_ids"]
        no_sp = tok(text, add_special_tokens=False)["input_ids"]
        leg_with = tok_legacy(text, add_special_tokens=True)["input_ids"]
        leg_no = tok_legacy(text, add_special_tokens=False)["input_ids"]
        sp_ids = sp.encode(text)
        pre_with = tok_prepend.encode(text, add_special_tokens=True).ids
        pre_no = tok_prepend.encode(text, add_special_tokens=False).ids
        c = {
            "text": text,
            "hf_ids_add_special": with_sp,
            "hf_ids_no_special": no_sp,
            "hf_tokens_no_special": tok.convert_ids_to_tokens(no_sp),
            "hf_decode_add_special": tok.decode(with_sp, skip_special_tokens=False),
            "hf_decode_no_special": tok.decode(no_sp, skip_special_tokens=False),
            "hf_decode_add_special_skip_special": tok.decode(with_sp, skip_special_tokens=True),
            "hf_legacy_ids_add_special": leg_with,
            "hf_legacy_ids_no_special": leg_no,
            "hf_legacy_decode_add_special": tok_legacy.decode(leg_with, skip_special_tokens=False),
            "prepend_ids_add_special": pre_with,
            "prepend_ids_no_special": pre_no,
            "prepend_decode_no_special": tok_prepend.decode(pre_no, skip_special_tokens=False),
            "spm_ids": sp_ids,
            "spm_pieces": sp.id_to_piece(sp_ids),
            "spm_decode": sp.decode(sp_ids),
        }
        notes = []
        if no_sp != sp_ids:
            notes.append("hf(legacy=False, no special) != sentencepiece")
        if leg_no != sp_ids:
            notes.append("hf(legacy=True, no special) != sentencepiece")
        if pre_no != sp_ids:
            notes.append("prepend-normalizer (no special) != sentencepiece")
        if no_sp != leg_no:
            notes.append("hf legacy=False != legacy=True")
        if c["spm_decode"] != text:
            notes.append("sentencepiece decode does not round-trip")
        if c["hf_decode_no_special"] != text:
            notes.append("hf decode(no special) does not round-trip")
        if c["hf_decode_no_special"] != c["spm_decode"]:
            notes.append("hf decode != sentencepiece decode")
        byte_pieces = [p for p in c["spm_pieces"] if p.startswith("<0x")]
        c["spm_byte_fallback_pieces"] = len(byte_pieces)
        if notes:
            c["notes"] = notes
            disagreements.append({"text": text, "notes": notes})
        cases.append(c)
    return cases, disagreements


# ----------------------------------------------------------------------------------------------------
# GGUF
# ----------------------------------------------------------------------------------------------------

BIG_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges")


def read_gguf_tokenizer(path):
    r = gguf.GGUFReader(str(path))
    meta, arrays = {}, {}
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        if name in BIG_ARRAYS:
            arrays[name] = f.contents()
            continue
        v = f.contents()
        if isinstance(v, float):
            v = float(str(np.float32(v)))
        if name == "tokenizer.chat_template":
            v = v[:200]
        meta[name] = v
    return meta, arrays


def build_spm_gguf(spm_dir, tok, sp):
    hf_dir = HERE / "_spm_model_tmp"
    shutil.rmtree(hf_dir, ignore_errors=True)
    vocab = len(tok)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=64, max_position_embeddings=64,
                      rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).to(torch.float32)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1)) * 0.02)
    model.save_pretrained(str(hf_dir), safe_serialization=True)
    tok.save_pretrained(str(hf_dir))
    shutil.copy(spm_dir / "tokenizer.model", hf_dir / "tokenizer.model")
    out = spm_dir / "model.f32.gguf"
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--convert-worker", str(hf_dir),
                           "--outfile", str(out), "--outtype", "f32"], capture_output=True, text=True, cwd=str(HERE))
    log = proc.stdout + proc.stderr
    shutil.rmtree(hf_dir)
    if proc.returncode != 0 or not out.exists():
        print(log[-4000:])
        return {"error": log[-3000:]}
    meta, arrays = read_gguf_tokenizer(out)
    tokens = arrays.get("tokenizer.ggml.tokens")
    scores = arrays.get("tokenizer.ggml.scores")
    ttypes = arrays.get("tokenizer.ggml.token_type")
    info = {
        "tokenizer_metadata": {k: v for k, v in meta.items() if k.startswith("tokenizer.")},
        "general_architecture": meta.get("general.architecture"),
        "array_lengths": {k: len(v) for k, v in arrays.items()},
        "has_scores": scores is not None, "has_token_type": ttypes is not None,
        "has_merges": "tokenizer.ggml.merges" in arrays,
        "converter_log_warnings": [ln.strip() for ln in dict.fromkeys(log.splitlines()) if "WARNING" in ln],
    }
    # Cross-check tokens / scores / types against sentencepiece.
    mism = []
    for i in range(sp.get_piece_size()):
        piece, score = sp.id_to_piece(i), float(np.float32(sp.get_score(i)))
        if tokens is not None and tokens[i] != piece:
            mism.append({"id": i, "field": "token", "gguf": tokens[i], "spm": piece})
        if scores is not None and float(np.float32(scores[i])) != score:
            mism.append({"id": i, "field": "score", "gguf": float(scores[i]), "spm": score})
    info["gguf_vs_sentencepiece_mismatches"] = mism[:20]
    type_names = {1: "NORMAL", 2: "UNKNOWN", 3: "CONTROL", 4: "USER_DEFINED", 5: "UNUSED", 6: "BYTE"}
    if ttypes is not None:
        counts = {}
        for t in ttypes:
            counts[type_names.get(int(t), str(t))] = counts.get(type_names.get(int(t), str(t)), 0) + 1
        info["token_type_counts"] = counts
        info["first_tokens"] = [{"id": i, "token": tokens[i], "score": float(np.float32(scores[i])),
                                 "type": type_names.get(int(ttypes[i]))} for i in range(6)]
        info["sample_tokens"] = [{"id": i, "token": tokens[i], "score": float(np.float32(scores[i])),
                                  "type": type_names.get(int(ttypes[i]))} for i in (259, 260, 300, vocab - 1)]
    return info


# ----------------------------------------------------------------------------------------------------
# 2. Byte-level BPE families
# ----------------------------------------------------------------------------------------------------

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
BPE_VOCAB = 800


def build_bpe(kind):
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False, ignore_merges=(kind == "llama3")))
    if kind == "llama3":
        bos, eos = "<|begin_of_text|>", "<|end_of_text|>"
        specials = [bos, eos, "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    else:
        bos = eos = "<|endoftext|>"
        specials = [bos]
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, min_frequency=2, show_progress=False,
                                  special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    if kind == "llama3":
        bos_id = tok.token_to_id(bos)
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
                                          special_tokens=[(bos, bos_id)])])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos)
    return tok, hf


def bpe_cases(raw, hf):
    cases, notes_all = [], []
    for text in TESTS:
        with_sp = hf(text, add_special_tokens=True)["input_ids"]
        no_sp = hf(text, add_special_tokens=False)["input_ids"]
        raw_ids = raw.encode(text, add_special_tokens=False).ids
        c = {"text": text, "hf_ids_add_special": with_sp, "hf_ids_no_special": no_sp,
             "hf_tokens_no_special": hf.convert_ids_to_tokens(no_sp),
             "hf_decode_add_special": hf.decode(with_sp, skip_special_tokens=False),
             "hf_decode_no_special": hf.decode(no_sp, skip_special_tokens=False),
             "tokenizers_ids_no_special": raw_ids}
        notes = []
        if raw_ids != no_sp:
            notes.append("tokenizers != transformers")
        if c["hf_decode_no_special"] != text:
            notes.append("decode does not round-trip")
        if notes:
            c["notes"] = notes
            notes_all.append({"text": text, "notes": notes})
        cases.append(c)
    return cases, notes_all


# ----------------------------------------------------------------------------------------------------

def main():
    spm_dir = HERE / "spm"
    shutil.rmtree(spm_dir, ignore_errors=True)
    spm_dir.mkdir(parents=True)
    train_spm(spm_dir / "tokenizer.model")
    sp = spm.SentencePieceProcessor(model_file=str(spm_dir / "tokenizer.model"))
    print("spm vocab", sp.get_piece_size())

    tok = load_hf_spm(spm_dir, legacy=False)
    tok_legacy = load_hf_spm(spm_dir, legacy=True)
    assert len(tok) == sp.get_piece_size(), (len(tok), sp.get_piece_size())
    for d, t in (("hf", tok), ("hf-legacy", tok_legacy)):
        t.save_pretrained(str(spm_dir / d))
        shutil.copy(spm_dir / "tokenizer.model", spm_dir / d / "tokenizer.model")

    # transformers 5 pitfall worth recording: LlamaTokenizer(vocab_file=...) ignores the file.
    vf_len = len(LlamaTokenizer(vocab_file=str(spm_dir / "tokenizer.model")))

    tok_prepend = prepend_normalizer_variant(spm_dir / "hf" / "tokenizer.json", spm_dir / "hf-prepend-normalizer")
    cases, disagreements = spm_cases(sp, tok, tok_legacy, tok_prepend)
    gguf_info = build_spm_gguf(spm_dir, tok, sp)

    from sentencepiece import sentencepiece_model_pb2 as pb2
    mp = pb2.ModelProto()
    mp.ParseFromString((spm_dir / "tokenizer.model").read_bytes())
    norm = mp.normalizer_spec
    ref = {
        "description": "SentencePiece BPE (byte_fallback) trained locally; HF Llama tokenizer built from it; "
                       "tiny random Llama converted with llama.cpp. Generated by make_spm_fixtures.py.",
        "versions": versions(),
        "gguf_py_version": _gguf_version(),
        "sentencepiece_trainer": {k: v for k, v in SPM_TRAINER.items()},
        "sentencepiece_normalizer_spec": {"name": norm.name, "add_dummy_prefix": norm.add_dummy_prefix,
                                          "remove_extra_whitespaces": norm.remove_extra_whitespaces,
                                          "escape_whitespaces": norm.escape_whitespaces},
        "vocab_size": sp.get_piece_size(),
        "special_ids": {"unk": sp.unk_id(), "bos": sp.bos_id(), "eos": sp.eos_id(), "pad": sp.pad_id()},
        "hf_load": "LlamaTokenizer.from_pretrained(<dir with tokenizer.model>, legacy=..., add_bos_token=True, "
                   "add_eos_token=False) (transformers converts the SentencePiece model to a tokenizers BPE)",
        "hf_note_vocab_file_kwarg": f"LlamaTokenizer(vocab_file='tokenizer.model') in transformers "
                                    f"{transformers.__version__} yields a {vf_len}-token tokenizer (file ignored)",
        "hf_tokenizer_json": tokenizer_json_summary(spm_dir / "hf" / "tokenizer.json"),
        "hf_legacy_tokenizer_json": tokenizer_json_summary(spm_dir / "hf-legacy" / "tokenizer.json"),
        "prepend_normalizer_tokenizer_json": tokenizer_json_summary(
            spm_dir / "hf-prepend-normalizer" / "tokenizer.json"),
        "hf_tokenizer_config": json.loads((spm_dir / "hf" / "tokenizer_config.json").read_text()),
        "gguf": gguf_info,
        "fields": {
            "hf_*": "spm/hf (legacy=False): tokenizer(text, add_special_tokens=...)['input_ids'], "
                    "decode(ids, skip_special_tokens=False unless named)",
            "hf_legacy_*": "spm/hf-legacy (legacy=True)",
            "prepend_*": "spm/hf-prepend-normalizer/tokenizer.json via tokenizers.Tokenizer.encode(text, "
                         "add_special_tokens=...).ids / decode",
            "spm_*": "sentencepiece.SentencePieceProcessor.encode(text) / decode (never parses <s> etc.)",
        },
        "disagreements": disagreements,
        "cases": cases,
    }
    (spm_dir / "reference.json").write_text(pretty(ref) + "\n")
    print("spm disagreements:", len(disagreements))

    for kind in ("llama3", "gpt2"):
        d = HERE / f"bpe-{kind}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        raw, hf = build_bpe(kind)
        hf.save_pretrained(str(d))
        reloaded = PreTrainedTokenizerFast.from_pretrained(str(d))
        cases_b, notes_b = bpe_cases(raw, reloaded)
        refb = {"description": f"byte-level BPE ({kind} pre-tokenizer) trained locally with tokenizers BpeTrainer "
                               f"(vocab {BPE_VOCAB}, min_frequency 2) on the same corpus as spm/. ids via "
                               f"PreTrainedTokenizerFast.from_pretrained(this dir).",
                "versions": versions(), "tokenizer_json": tokenizer_json_summary(d / "tokenizer.json"),
                "tokenizer_config": json.loads((d / "tokenizer_config.json").read_text()),
                "notes": notes_b, "cases": cases_b}
        (d / "reference.json").write_text(pretty(refb) + "\n")
        print(kind, "notes:", len(notes_b))

    files = sorted(p for p in HERE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    manifest = {str(p.relative_to(HERE)): {"bytes": p.stat().st_size, "sha256": sha256(p)}
                for p in files if p.name != "manifest.json"}
    (HERE / "manifest.json").write_text(pretty(manifest) + "\n")
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print("total bytes", total)
    assert total < 2 * 1024 * 1024, total


def _gguf_version():
    try:
        import tomllib
        return tomllib.loads((CONVERTER_DIR / "gguf-py" / "pyproject.toml").read_text())["project"]["version"]
    except Exception:
        return "unknown"


if __name__ == "__main__":
    main()
