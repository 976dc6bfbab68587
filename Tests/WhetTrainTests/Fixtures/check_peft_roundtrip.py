"""Checks that Hugging Face PEFT loads an adapter whet trained and gives whet's logits.

    whet train dpo --model BASE --data ... --out RUN
    whet logprobs --model BASE --adapter RUN/adapter --json --top 20 "TEXT" > whet.json
    python check_peft_roundtrip.py BASE RUN/adapter whet.json

It prints the largest |Δlogit| over whet's top-20 tokens and exits non-zero above 1e-4.
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

base, adapter, whet_json = sys.argv[1:4]
whet = json.load(open(whet_json))
model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, torch_dtype=torch.float32), adapter)
model.eval()
with torch.no_grad():
    logits = model(torch.tensor([whet["input_ids"]])).logits[0, -1]
worst = max(abs(float(logits[t["id"]]) - t["logit"]) for t in whet["top"])
print(f"max |Δlogit| over whet's top {len(whet['top'])}: {worst:.2e}")
sys.exit(0 if worst < 1e-4 else 1)
