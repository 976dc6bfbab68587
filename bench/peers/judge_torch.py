"""Peer for `whet-bench --filter judge.local_yes`: the same 64 judge items through transformers.

The items are rebuilt exactly as Sources/whet-bench/JudgeBenchmarks.swift builds them (the
arithmetic suite with seed 99, answers right for even rows and off by one for odd rows), filled
into the bundled correctness_yes_no template, rendered with SmolLM2's chat template, scored in
batches of 16 of similar length (left padding), P(yes) read from the next-token distribution.
Prints one JSON line like whet-bench.

    .build/release/whet tasks --suite arithmetic --n 64 --seed 99 > /tmp/judge_tasks.jsonl
    /tmp/peers/venv-torch/bin/python bench/peers/judge_torch.py models/SmolLM2-135M-Instruct.Q4_1.gguf /tmp/judge_tasks.jsonl

A third argument `bf16` runs the forward under torch.autocast("cpu", dtype=torch.bfloat16), the
peer of `judge.local_yes.bf16`.
"""
import contextlib
import json
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, tasks_path = Path(sys.argv[1]), sys.argv[2]
autocast = len(sys.argv) > 3 and sys.argv[3] == "bf16"
precision = (
    (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if autocast else contextlib.nullcontext
)
torch.set_num_threads(2)
tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
model = AutoModelForCausalLM.from_pretrained(
    str(gguf.parent), gguf_file=gguf.name, torch_dtype=torch.float32
).eval()
template = (
    Path(__file__).resolve().parents[2]
    / "Sources/WhetRewards/Judges/Templates/correctness_yes_no.txt"
).read_text()

tasks = [json.loads(line) for line in open(tasks_path)]
prompts = []
for i, task in enumerate(tasks):
    claimed = task["answer"] if i % 2 == 0 else str(int(task["answer"]) + 1)
    completion = (
        "Let me work through the changes one at a time and keep track of the count after each "
        f"step. After all the steps, the total comes to {claimed}. The answer is {claimed}."
    )
    text = template.replace("{{prompt}}", task["prompt"]).replace("{{completion}}", completion)
    prompts.append(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True
        )
    )
    if not isinstance(prompts[-1], list):  # newer transformers return a BatchEncoding
        prompts[-1] = list(prompts[-1]["input_ids"])


def first_ids(words):
    return {tokenizer.encode(w, add_special_tokens=False)[0] for w in words}


yes = sorted(first_ids(["yes", "Yes", " yes", " Yes", "YES"]))
no = sorted(first_ids(["no", "No", " no", " No", "NO"]))
pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def score(ids_list):
    out = [None] * len(ids_list)
    order = sorted(range(len(ids_list)), key=lambda i: (len(ids_list[i]), i))
    for start in range(0, len(order), 16):
        batch = order[start : start + 16]
        longest = max(len(ids_list[i]) for i in batch)
        ids = torch.tensor([[pad] * (longest - len(ids_list[i])) + ids_list[i] for i in batch])
        mask = torch.tensor(
            [[0] * (longest - len(ids_list[i])) + [1] * len(ids_list[i]) for i in batch]
        )
        with torch.inference_mode(), precision():
            logits = model(input_ids=ids, attention_mask=mask).logits[:, -1, :]
        p = torch.softmax(logits.float(), dim=-1)
        for row, i in enumerate(batch):
            py, pn = p[row, yes].sum().item(), p[row, no].sum().item()
            out[i] = py / (py + pn)
    return out


score(prompts[:4])  # warm-up
start = time.perf_counter()
values = score(prompts)
seconds = time.perf_counter() - start
print(
    json.dumps(
        {
            "name": "judge.local_yes" + (".bf16" if autocast else ""),
            "peer": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}",
            "value": round(len(prompts) / seconds, 3),
            "unit": "items/s",
            "config": {
                "items": len(prompts),
                "mean_prompt_tokens": sum(map(len, prompts)) / len(prompts),
                "first_p_yes": [round(v, 4) for v in values[:4]],
            },
        }
    )
)
