"""Peer for `whet-bench --filter 'model.forward.bf16|model.forward_backward.bf16'`: PyTorch's
CPU autocast (torch.autocast("cpu", dtype=torch.bfloat16), fp32 weights) on SmolLM2-135M-Instruct,
the same shapes as the fp32 figures of ../shared/peers/bench_torch.py (parts fwd and bwd): batch
8 x 128 of real text, forward without grad, and forward+backward of the full fine-tuning loss.
torch.set_num_threads(2). Best and median of 5 runs after a warm-up, in tokens/s, one JSON line
per figure. The parity of autocast's logits with fp32 is printed too (max |Δ| over the batch).

    /tmp/peers/venv-torch/bin/python bench/peers/torch_autocast.py /tmp/peers/SmolLM2-135M-Instruct.Q4_1.gguf
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


def autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16)


def timed(fn, reps=5):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def report(name, ts, extra=None):
    config = {"batch": B, "seq": T, "peer": f"torch {torch.__version__} autocast bf16",
              "median_tokens_per_s": round(B * T / statistics.median(ts), 1)}
    config.update(extra or {})
    print(json.dumps({"name": name, "value": round(B * T / min(ts), 3), "unit": "tokens/s",
                      "config": config}), flush=True)


model.eval()
with torch.inference_mode():
    reference = model(x).logits.float()
    with autocast():
        low = model(x).logits.float()
    delta = (low - reference).abs().max().item()
    with autocast():
        ts = timed(lambda: model(x).logits)
report("model.forward.bf16", ts, {"max_abs_logit_delta_vs_fp32": round(delta, 4)})

model.train()


def step():
    model.zero_grad(set_to_none=True)
    with autocast():
        loss = model(x, labels=x).loss
    loss.backward()


report("model.forward_backward.bf16", timed(step))
