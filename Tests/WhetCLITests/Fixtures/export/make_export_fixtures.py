"""What the real tools make of `whet export`: the tiny random Llama GGUF (a llama.cpp
conversion of the architecture fixture) with PEFT's own adapter (WhetTrainTests' peft
fixture) merged in, written as a Hugging Face directory and as F32, F16 and Q8_0 GGUFs.

- transformers loads the directory: logits on fixed tokens (and the script asserts they equal
  PEFT's own logits of base + adapter, within 1e-4), and AutoTokenizer's ids for strings;
- llama.cpp (llama-cpp-python) loads each GGUF: greedy continuations of a fixed prompt and
  the logits at the prompt's last position; also the F32 GGUF exported from the model's Hugging
  Face form (`hf-f32`), whose metadata whet writes itself.

Build whet first (`make build`), then run from this directory, once with a Python that has
torch, transformers and peft and once with one that has llama_cpp (either order; each run
fills in its half of expected.json):
    python make_export_fixtures.py
"""
import hashlib
import json
import os
import subprocess
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", "..", ".."))
whet = os.path.join(root, ".build", "release", "whet")
model = os.path.join(root, "Tests", "WhetLMTests", "Fixtures", "architectures", "llama", "model.f32.gguf")
adapter = os.path.join(root, "Tests", "WhetTrainTests", "Fixtures", "peft", "adapter")
peft_reference = json.load(open(os.path.join(root, "Tests", "WhetTrainTests", "Fixtures", "peft", "reference.json")))
expected_path = os.path.join(here, "expected.json")
expected = json.load(open(expected_path)) if os.path.exists(expected_path) else {}

tokens = peft_reference["tokens"]
prompt = [1, 17, 42, 99, 5]
strings = ["Hello world", "  two  spaces", "digits 12345 and 3.14", "café ünïcödé", "<bos>x<eos>"]
out = tempfile.mkdtemp()
subprocess.run([whet, "export", "--model", model, "--adapter", adapter, "--out", out, "--gguf", "f32"], check=True)
# The same model from its Hugging Face form (safetensors + tokenizer.json): GGUF metadata written
# by whet as llama.cpp's converter would.
hf_source = os.path.join(root, "Tests", "WhetLMTests", "Fixtures", "architectures", "llama", "hf")
out_hf = tempfile.mkdtemp()
subprocess.run([whet, "export", "--model", hf_source, "--adapter", adapter, "--out", out_hf, "--gguf", "f32",
                "--gguf-only"], check=True)
for t in ["f16", "q8_0"]:
    subprocess.run([whet, "export", "--model", model, "--adapter", adapter, "--out", out, "--gguf", t, "--gguf-only"],
                   check=True)

try:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    have_transformers = True
except ImportError:
    have_transformers = False

if have_transformers:
    m = AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32)
    with torch.no_grad():
        logits = m(torch.tensor([tokens])).logits[0]
    diff = (logits - torch.tensor(peft_reference["logits"])).abs().max().item()
    assert diff < 1e-4, f"the export differs from PEFT's base + adapter by {diff}"
    tok = AutoTokenizer.from_pretrained(out)
    expected["transformers"] = {
        "version": transformers.__version__, "tokens": tokens, "logits": logits.tolist(),
        "max_difference_from_peft": diff,
        "strings": strings, "ids": [tok.encode(s, add_special_tokens=True) for s in strings],
        # The JSON files transformers read, byte for byte (whet writes them deterministically).
        "sha256": {name: hashlib.sha256(open(os.path.join(out, name), "rb").read()).hexdigest()
                   for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]},
    }

try:
    import llama_cpp
    have_llama = True
except ImportError:
    have_llama = False

if have_llama:
    runs = {}
    for t in ["f32", "f16", "q8_0", "hf-f32"]:
        path = os.path.join(out_hf, "model-f32.gguf") if t == "hf-f32" else os.path.join(out, f"model-{t}.gguf")
        llm = llama_cpp.Llama(model_path=path, n_ctx=64, logits_all=True, verbose=False, n_threads=1)
        llm.eval(prompt)
        last = [float(x) for x in llm.scores[len(prompt) - 1]]
        greedy = []
        for _ in range(12):
            nxt = int(max(range(len(llm.scores[llm.n_tokens - 1])), key=lambda i: llm.scores[llm.n_tokens - 1][i]))
            greedy.append(nxt)
            llm.eval([nxt])
        runs[t] = {"greedy": greedy, "last_logits": last}
    expected["llama_cpp"] = {"version": llama_cpp.__version__, "prompt": prompt, "runs": runs}

json.dump(expected, open(expected_path, "w"), indent=1)
print("wrote", expected_path, sorted(expected))
