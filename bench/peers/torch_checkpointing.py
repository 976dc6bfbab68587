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

import torch

import smollm2_peer

model, tokenizer = smollm2_peer.load(sys.argv[1])
x = smollm2_peer.batch(tokenizer)
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
