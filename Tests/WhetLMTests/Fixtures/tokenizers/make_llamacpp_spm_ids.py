"""llama.cpp's own tokenization of spm/model.f32.gguf (the SentencePiece GGUF), for every
text in spm/reference.json: ids with and without BOS, special-token text parsed
(`parse_special=True`, as llama.cpp's server and chat paths do), and detokenization.

Run from this directory with llama-cpp-python 0.3.36 (../shared/peers/setup.sh builds it):
    python make_llamacpp_spm_ids.py
It writes spm/llamacpp.json.
"""
import json
import os

import llama_cpp
from llama_cpp import Llama

here = os.path.dirname(os.path.abspath(__file__))
texts = [c["text"] for c in json.load(open(os.path.join(here, "spm", "reference.json")))["cases"]]
llm = Llama(model_path=os.path.join(here, "spm", "model.f32.gguf"), vocab_only=True, verbose=False)
cases = []
for t in texts:
    no_bos = llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)
    with_bos = llm.tokenize(t.encode("utf-8"), add_bos=True, special=True)
    cases.append({
        "text": t, "ids_no_special": no_bos, "ids_add_special": with_bos,
        "detokenize": llm.detokenize(no_bos).decode("utf-8", errors="replace"),
    })
with open(os.path.join(here, "spm", "llamacpp.json"), "w") as f:
    json.dump({"llama_cpp_python": llama_cpp.__version__,
               "fields": {"ids_*": "Llama.tokenize(text, add_bos=..., special=True)",
                          "detokenize": "Llama.detokenize(ids_no_special)"},
               "cases": cases}, f, ensure_ascii=False, indent=0)
    f.write("\n")
print(len(cases), "cases")
