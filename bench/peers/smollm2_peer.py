"""What the PyTorch peers of the 8 x 128 training figures share: SmolLM2-135M-Instruct loaded
from the GGUF with transformers (dequantized to fp32, trainable) on 2 threads, and the batch of
../shared/peers/bench_torch.py's batch_ids (real text, deterministic windows)."""
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(gguf_path):
    """The model and tokenizer from the GGUF file at `gguf_path`."""
    gguf = Path(gguf_path)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    if getattr(model, "hf_quantizer", None) is not None:  # dequantized fp32; allow training
        model.hf_quantizer.remove_quantization_config(model)
    model.is_quantized = False
    return model, tokenizer


def batch(tokenizer, b=8, t=128):
    """`[b, t]` token ids: windows of a repeated English text at seeded offsets."""
    g = torch.Generator().manual_seed(0)
    base = (
        "The quick brown fox jumps over the lazy dog while the committee debates the budget for "
        "next year's public library, and a student studies linear algebra late at night. "
    ) * 20
    ids = tokenizer(base, add_special_tokens=False)["input_ids"]
    rows = []
    for _ in range(b):
        s = int(torch.randint(0, len(ids) - t, (1,), generator=g))
        rows.append(ids[s : s + t])
    return torch.tensor(rows)
