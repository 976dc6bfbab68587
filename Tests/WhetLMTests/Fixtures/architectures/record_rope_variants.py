#!/usr/bin/env python3
"""Records how llama.cpp's converter output for the four llama RoPE variants differs from its
output for plain `llama`, so the tests can rebuild those GGUF files from `llama/model.f32.gguf`
instead of committing four near-copies.

Run after make_architecture_fixtures.py (which writes every <variant>/model.f32.gguf):
    /tmp/peers/venv-torch/bin/python record_rope_variants.py
Writes rope_variants.json: per variant, the metadata entries that are new or changed (with
their GGUF value type) and the tensors that are new (with their values). The script checks
that every other tensor is byte-identical to llama's and in the same order, and fails if not.
"""
import json
import sys
from pathlib import Path

import gguf
import numpy as np

HERE = Path(__file__).resolve().parent
VARIANTS = ["llama-llama3", "llama-linear", "llama-dynamic", "llama-yarn"]
TYPES = {
    gguf.GGUFValueType.UINT32: "uint32",
    gguf.GGUFValueType.INT32: "int32",
    gguf.GGUFValueType.FLOAT32: "float32",
    gguf.GGUFValueType.STRING: "string",
    gguf.GGUFValueType.BOOL: "bool",
}


def read(path):
    r = gguf.GGUFReader(str(path))
    fields = {}
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            fields[key] = ("array", str(field.contents()))
        else:
            fields[key] = (TYPES[kind], field.contents())
    tensors = [(t.name, t.tensor_type.name, [int(n) for n in t.shape], np.array(t.data)) for t in r.tensors]
    return fields, tensors


base_fields, base_tensors = read(HERE / "llama" / "model.f32.gguf")
base = {name: data for name, _, _, data in base_tensors}
out = {}
for variant in VARIANTS:
    fields, tensors = read(HERE / variant / "model.f32.gguf")
    if set(base_fields) - set(fields):
        sys.exit(f"{variant}: metadata keys missing: {set(base_fields) - set(fields)}")
    metadata = {k: {"type": t, "value": v} for k, (t, v) in fields.items() if base_fields.get(k) != (t, v)}
    if any(m["type"] == "array" for m in metadata.values()):
        sys.exit(f"{variant}: an array entry differs; not supported")
    extra = []
    kept = [(n, d) for n, _, _, d in tensors if n in base]
    if [n for n, _ in kept] != [n for n, _, _, _ in base_tensors]:
        sys.exit(f"{variant}: llama's tensors are not all there in llama's order")
    for name, data in kept:
        if not np.array_equal(data, base[name]):
            sys.exit(f"{variant}: {name} differs from llama's")
    for name, kind, shape, data in tensors:
        if name not in base:
            if kind != "F32":
                sys.exit(f"{variant}: new tensor {name} is {kind}, not F32")
            extra.append({"name": name, "type": kind, "ne": shape, "values": [float(x) for x in data.reshape(-1)]})
    out[variant] = {"metadata": metadata, "tensors": extra}
(HERE / "rope_variants.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps(out, indent=1))
