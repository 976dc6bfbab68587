"""Peer for `whet-bench --filter 'model.forward_backward.checkpointed'`: PyTorch fp32 with
transformers' gradient checkpointing (`model.gradient_checkpointing_enable()`, each decoder
layer recomputed in the backward pass) on SmolLM2-135M-Instruct, the shape of
../shared/peers/bench_torch.py's part bwd: batch 8 x 128 of real text, forward+backward of the
full fine-tuning loss. torch.set_num_threads(2). Best and median of 5 runs after a warm-up, in
tokens/s, one JSON line. Run it under `/usr/bin/time -v` for the peak resident size.

    /tmp/peers/venv-torch/bin/python bench/peers/torch_checkpointing.py /tmp/peers/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf = Path(sys.argv[1])
torch.set_num_threads(2)
tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
model = AutoModelForCausalLM.from_pretrained(
    str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
)
if getattr(model, "hf_quantizer", None) is not None:  # dequantized fp32; allow training
    model.hf_quantizer.remove_quantization_config(model)
model.is_quantized = False

# The batch of bench_torch.py's batch_ids: real text, deterministic windows.
g = torch.Generator().manual_seed(0)
base = (
    "The quick brown fox jumps over the lazy dog while the committee debates the budget for "
    "next year's public library, and a student studies linear algebra late at night. "
) * 20
ids = tokenizer(base, add_special_tokens=False)["input_ids"]
rows = []
for _ in range(8):
    s = int(torch.randint(0, len(ids) - 128, (1,), generator=g))
    rows.append(ids[s : s + 128])
x = torch.tensor(rows)
B, T = x.shape

model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
model.config.use_cache = False
model.train()


def step():
    model.zero_grad(set_to_none=True)
    loss = model(x, labels=x).loss
    loss.backward()


step()
ts = []
for _ in range(5):
    t0 = time.perf_counter()
    step()
    ts.append(time.perf_counter() - t0)
print(json.dumps({
    "name": "model.forward_backward.checkpointed", "value": round(B * T / min(ts), 3),
    "unit": "tokens/s",
    "config": {"batch": B, "seq": T, "peer": f"torch {torch.__version__} fp32, gradient checkpointing",
               "median_tokens_per_s": round(B * T / statistics.median(ts), 1)},
}), flush=True)
