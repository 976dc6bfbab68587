"""Top-5 next-token logits of SmolLM2-135M-Instruct for extra prompts, from transformers.

Run with the peers' venv (../../../../../shared/peers/setup.sh):
    /tmp/peers/venv-torch/bin/python make_parity_fixtures.py /tmp/peers > smollm2_extra.json
The model is the GGUF dequantized to fp32, as for ../smollm2_reference.json.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/peers"
gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
tok = AutoTokenizer.from_pretrained(directory, gguf_file=gguf)
model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=gguf, dtype=torch.float32).eval()
torch.set_num_threads(2)

long_text = " ".join(
    f"Paragraph {i}: the whetstone sharpens a blade with something softer than the blade." for i in range(40)
)
texts = [
    long_text,
    "Ünïcödé: naïve café, Straße, Ελληνικά, русский, 日本語のテキスト, 한국어, العربية",
    "def fib(n):\n\tif n < 2:\n\t\treturn n\n    return fib(n - 1) + fib(n - 2)\n\n\nprint(fib(10))",
    "Emoji: 👩‍👩‍👧‍👦 🇫🇷 🚀🔥 ✔️ and text",
    "spaces    and\n\n\n   newlines\t\ttabs   ",
    "12345 + 678.9 = ?",
]
cases = []
for text in texts:
    for chat in (False, True):
        rendered = (
            tok.apply_chat_template([{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True)
            if chat
            else text
        )
        ids = tok(rendered, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].float()
        logp = torch.log_softmax(logits, -1)
        top = torch.topk(logits, 5)
        cases.append({
            "text": text,
            "chat": chat,
            "input_ids": ids,
            "top5": [{"id": int(i), "logit": float(v), "logprob": float(logp[i])} for v, i in zip(top.values, top.indices)],
        })
json.dump({"transformers": __import__("transformers").__version__, "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
