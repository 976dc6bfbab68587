"""transformers' own rendering of 70 real chat templates on seven conversations each.

The templates in real/ are the chat templates of released models as llama.cpp keeps them
for its tests (models/templates/ of the llama.cpp tree vendored in the llama-cpp-python
0.3.36 sdist; llama.cpp is MIT-licensed, see real/SOURCE.md). Each is compiled by
transformers' `_compile_jinja_template` (the ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks, loopcontrols and the generation extension, and its
raise_exception / strftime_now / tojson) and rendered as `apply_chat_template` renders:
`messages`, `tools`, `documents`, `add_generation_prompt`, `bos_token`, `eos_token`.
`strftime_now` is pinned to 2025-03-14 09:26:53 so that the output does not depend on the
day the fixture is made.

Run from this directory with transformers installed:
    python make_real_template_fixtures.py
It writes real_expected.json: per case the template, the conversation name, the
add_generation_prompt flag, and either the rendered text or the exception's type and message.
"""
import datetime
import json
import os

import jinja2
import transformers
from transformers.utils.chat_template_utils import _compile_jinja_template

FIXED_NOW = datetime.datetime(2025, 3, 14, 9, 26, 53)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city's name."},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "user": [{"role": "user", "content": "What is 2+2?"}],
    "system_multi_turn": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another one, with \"quotes\" & <tags>."},
    ],
    "tools": [{"role": "user", "content": "What's the weather in Paris?"}],
    "tool_call_flow": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{
            "id": "call_0", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
        }]},
        {"role": "tool", "tool_call_id": "call_0", "name": "get_weather",
         "content": "{\"temperature\": 18, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 18 °C and clear in Paris."},
    ],
    "reasoning": [
        {"role": "user", "content": "Is 17 prime?"},
        {"role": "assistant", "reasoning_content": "17 has no divisors but 1 and itself.",
         "content": "Yes, 17 is prime."},
        {"role": "user", "content": "And 21?"},
    ],
    "ends_with_assistant": [
        {"role": "user", "content": "Say hi in French.\n\nJust the word."},
        {"role": "assistant", "content": "Bonjour"},
    ],
    "unicode": [
        {"role": "system", "content": "Réponds en français. 日本語もOK 😀"},
        {"role": "user", "content": "  leading and trailing spaces  \n"},
    ],
}

PLAN = [
    ("user", True), ("user", False), ("system_multi_turn", True), ("tools", True),
    ("tool_call_flow", False), ("reasoning", True), ("ends_with_assistant", False),
    ("unicode", True),
]


def render(source, conversation, add_generation_prompt):
    compiled = _compile_jinja_template(source)
    compiled.environment.globals["strftime_now"] = lambda fmt: FIXED_NOW.strftime(fmt)
    tools = [WEATHER_TOOL] if conversation in ("tools", "tool_call_flow") else None
    return compiled.render(
        messages=CONVERSATIONS[conversation], tools=tools, documents=None,
        add_generation_prompt=add_generation_prompt, bos_token="<BOS>", eos_token="<EOS>")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    real = os.path.join(here, "real")
    cases = []
    for name in sorted(os.listdir(real)):
        if not name.endswith(".jinja"):
            continue
        source = open(os.path.join(real, name), encoding="utf-8").read()
        for conversation, agp in PLAN:
            case = {"template": name, "conversation": conversation, "add_generation_prompt": agp}
            try:
                case["expected"] = render(source, conversation, agp)
            except Exception as e:  # noqa: BLE001 - the fixture records what transformers does
                case["error"] = {"type": type(e).__name__, "message": str(e)}
            cases.append(case)
    out = {
        "description": __doc__.strip().splitlines()[0],
        "versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__},
        "now": FIXED_NOW.isoformat(),
        "bos_token": "<BOS>", "eos_token": "<EOS>",
        "tools": [WEATHER_TOOL],
        "conversations": CONVERSATIONS,
        "cases": cases,
    }
    with open(os.path.join(here, "real_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    errors = [c for c in cases if "error" in c]
    print(len(cases), "cases,", len(errors), "errors")
    for c in errors:
        print(" ", c["template"], c["conversation"], c["error"]["type"], c["error"]["message"][:90])


if __name__ == "__main__":
    main()
