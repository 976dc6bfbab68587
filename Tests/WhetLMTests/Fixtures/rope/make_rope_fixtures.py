"""Reference RoPE inverse frequencies and attention factors from transformers'
ROPE_INIT_FUNCTIONS, for RopeScalingTests. Run with a venv that has torch and transformers:

    python make_rope_fixtures.py > rope_reference.json
"""
import json

import torch
import transformers
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

CASES = [
    ("default", {"rope_type": "default", "rope_theta": 10000.0}, 64, None),
    ("linear", {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, 64, None),
    ("dynamic-short", {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 4.0}, 64, 10),
    ("dynamic-long", {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 4.0}, 64, 40),
    ("llama3", {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 16}, 64, None),
    ("yarn", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
              "original_max_position_embeddings": 16}, 64, None),
    ("yarn-mscale", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0, "mscale": 1.0,
                     "mscale_all_dim": 0.5, "beta_fast": 16.0, "beta_slow": 2.0,
                     "original_max_position_embeddings": 16, "truncate": False}, 32, None),
]

out = {"transformers": transformers.__version__, "torch": torch.__version__, "cases": []}
for name, rope, head_dim, seq_len in CASES:
    config = LlamaConfig(hidden_size=head_dim * 4, num_attention_heads=4, max_position_embeddings=16,
                         rope_parameters=dict(rope))
    kind = rope["rope_type"]
    if kind == "default":
        from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
        inv, factor = LlamaRotaryEmbedding.compute_default_rope_parameters(config)
    else:
        inv, factor = ROPE_INIT_FUNCTIONS[kind](config, None, seq_len=seq_len)
    out["cases"].append({
        "name": name, "rope_parameters": rope, "head_dim": head_dim, "max_position_embeddings": 16,
        "seq_len": seq_len, "inv_freq": [float(x) for x in inv.tolist()], "attention_factor": float(factor),
    })
print(json.dumps(out, indent=1))
