#!/usr/bin/env python3
"""Records llama.cpp's converter output for the five GGUF fixtures as recipes, so the files
themselves stay out of git and the tests rebuild them (`GGUFRecipe` in WhetLM).

Run after make_architecture_fixtures.py and make_spm_fixtures.py have written each
<dir>/model.f32.gguf with llama.cpp's convert_hf_to_gguf.py:
    /tmp/peers/venv-torch/bin/python record_gguf_recipes.py
Writes <dir>/gguf_recipe.json with
- every metadata entry in file order, with its GGUF type (arrays with their element type);
- every tensor in file order: name, GGML type, `ne`, the SHA-256 of its bytes, and where its
  values come from: `hf/model.safetensors` tensor `source`, with the converter's rotary row
  permutation over `permute_heads` heads where it applied one (the script finds the mapping by
  comparing values and fails if a tensor matches nothing), or `null` when the fixture has no
  weights of its own (the SentencePiece fixture, read only for its tokenizer): zeros.
"""
import hashlib
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

HERE = Path(__file__).resolve().parent
DIRS = ["architectures/llama", "architectures/mistral", "architectures/qwen2", "architectures/qwen3", "tokenizers/spm"]
T = gguf.GGUFValueType
NAMES = {T.UINT8: "uint8", T.INT8: "int8", T.UINT16: "uint16", T.INT16: "int16", T.UINT32: "uint32",
         T.INT32: "int32", T.FLOAT32: "float32", T.BOOL: "bool", T.STRING: "string", T.UINT64: "uint64",
         T.INT64: "int64", T.FLOAT64: "float64"}


def permute(w, heads):
    """The converter's LlamaModel.permute: rows of each head's rotary halves interleaved."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def record(directory):
    path = HERE / directory / "model.f32.gguf"
    r = gguf.GGUFReader(str(path))
    metadata = []
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        kind = field.types[0]
        if kind == T.ARRAY:
            metadata.append({"key": key, "type": "array", "element": NAMES[field.types[1]], "value": field.contents()})
        else:
            metadata.append({"key": key, "type": NAMES[kind], "value": field.contents()})
    arch = r.fields["general.architecture"].contents()
    heads = r.fields[f"{arch}.attention.head_count"].contents()
    kv_heads = r.fields[f"{arch}.attention.head_count_kv"].contents()
    st_path = HERE / directory / "hf" / "model.safetensors"
    hf = load_file(str(st_path)) if st_path.exists() else None
    tensors = []
    for t in r.tensors:
        if t.tensor_type.name != "F32":
            sys.exit(f"{directory}: {t.name} is {t.tensor_type.name}, not F32")
        data = np.array(t.data, dtype=np.float32)
        entry = {"name": t.name, "type": "F32", "ne": [int(n) for n in t.shape],
                 "sha256": hashlib.sha256(data.tobytes()).hexdigest(), "source": None, "permute_heads": None}
        if hf is not None:
            for name, w in hf.items():
                w = w.astype(np.float32)
                if w.size != data.size:
                    continue
                w = w.reshape(data.shape)
                if np.array_equal(w, data):
                    entry["source"] = name
                    break
                found = next((h for h in (heads, kv_heads) if w.shape[0] % (2 * h) == 0 and np.array_equal(permute(w, h), data)), None)
                if found is not None:
                    entry["source"], entry["permute_heads"] = name, int(found)
                    break
            if entry["source"] is None:
                sys.exit(f"{directory}: {t.name} matches no tensor of hf/model.safetensors")
        elif data.any():
            entry["note"] = "random weights of the converted tiny model, rebuilt as zeros"
        tensors.append(entry)
    recipe = {"file": "model.f32.gguf", "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
              "metadata": metadata, "tensors": tensors}
    (HERE / directory / "gguf_recipe.json").write_text(json.dumps(recipe, indent=1) + "\n")
    print(directory, len(metadata), "entries,", len(tensors), "tensors")


for d in DIRS:
    record(d)
