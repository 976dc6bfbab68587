"""A LoRA adapter made by Hugging Face PEFT on the tiny random Llama fixture, and
transformers' logits with and without it, so that whet can check it loads PEFT's adapters
exactly (`--adapter DIR`).

The adapter is initialised randomly (`init_lora_weights=False`), so B is not zero and the
adapter visibly changes the logits; the script asserts that it does.

Run from this directory with torch, transformers and peft:
    python make_peft_fixtures.py
It writes peft/adapter/ (adapter_config.json, adapter_model.safetensors) and
peft/reference.json.
"""
import json
import os

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

here = os.path.dirname(os.path.abspath(__file__))
base_dir = os.path.join(here, "..", "..", "WhetLMTests", "Fixtures", "architectures", "llama", "hf")
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32)
tokens = [1, 17, 42, 99, 5, 250, 7, 64]
with torch.no_grad():
    base_logits = model(torch.tensor([tokens])).logits[0]
config = LoraConfig(r=4, lora_alpha=12, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"],
                    init_lora_weights=False, task_type="CAUSAL_LM")
peft_model = get_peft_model(model, config)
peft_model.eval()
with torch.no_grad():
    logits = peft_model(torch.tensor([tokens])).logits[0]
change = (logits - base_logits).abs().max().item()
assert change > 0.05, f"the adapter barely changes the logits ({change})"
peft_model.save_pretrained(os.path.join(here, "peft", "adapter"))
with open(os.path.join(here, "peft", "reference.json"), "w") as f:
    json.dump({
        "description": __doc__.strip().splitlines()[0],
        "versions": {"peft": peft.__version__, "transformers": transformers.__version__,
                     "torch": torch.__version__},
        "tokens": tokens, "logits": logits.tolist(), "max_change_from_base": change,
    }, f)
    f.write("\n")
print("max change from base", change)
