"""jinja2's built-in filters, tests, globals and statements as transformers' chat-template
environment renders them, one small template each, for the ones real chat templates rarely
reach (the HTML and grouping filters, generators, Markup, non-string keys, cycler, joiner,
call blocks). `random` and `lipsum` are random in jinja2 and are left out.

Run from this directory with transformers installed:
    python make_builtin_fixtures.py
It writes builtins_expected.json: per case the template, its variables, and the output or
the exception's type and message.
"""
import json
import os

import jinja2
import transformers
from transformers.utils.chat_template_utils import _compile_jinja_template

ITEMS = [{"name": "b", "kind": "Fruit", "n": 2}, {"name": "a", "kind": "veg", "n": 1},
         {"name": "c", "kind": "fruit", "n": 3}, {"name": "d", "kind": "Veg", "n": 4}]
CASES = [
    ("{{ 'a<b> & \"c\" \\'d\\'' | escape }}|{{ 'x' | e }}|{{ '<i>' | forceescape }}", {}),
    ("{{ '<b>' | safe }}|{{ ('<b>' | safe) + '<i>' }}|{{ '<i>' + ('<b>' | safe) }}|{{ ('<b>' | safe) ~ '<i>' }}", {}),
    ("{{ ('<b>' | escape) | escape }}|{{ ('a' | safe) is string }}|{{ ('a' | safe) == 'a' }}|{{ ('<' | safe) | tojson }}", {}),
    ("{{ ('<b>' | safe) + 1 }}", {}),
    ("{% for row in items | batch(3) %}[{{ row | map(attribute='name') | join(',') }}]{% endfor %}", {"items": ITEMS}),
    ("{% for row in [1,2,3,4,5] | batch(2, 0) %}{{ row }}{% endfor %}", {}),
    ("{% for col in [1,2,3,4,5,6,7] | slice(3) %}{{ col }}{% endfor %}|{% for col in [1,2,3,4] | slice(3, 'x') %}{{ col }}{% endfor %}", {}),
    ("{% for kind, group in items | groupby('kind') %}{{ kind }}:{{ group | map(attribute='name') | join }};{% endfor %}", {"items": ITEMS}),
    ("{% for kind, group in items | groupby('kind', case_sensitive=true) %}{{ kind }}:{{ group | length }};{% endfor %}", {"items": ITEMS}),
    ("{{ 0 | filesizeformat }}|{{ 1 | filesizeformat }}|{{ 999 | filesizeformat }}|{{ 1000 | filesizeformat }}|{{ 123456789 | filesizeformat }}|{{ 1048576 | filesizeformat(true) }}|{{ '2048' | filesizeformat }}", {}),
    ("{{ [1, 'a', {'k': none}] | pprint }}", {}),
    ("{{ '<p>Hello <b>World</b><!-- c -->&amp;   you</p>' | striptags }}", {}),
    ("{{ 'The quick brown fox jumps over the lazy dog' | truncate(20) }}|{{ 'The quick brown fox jumps' | truncate(20, true) }}|{{ 'short' | truncate(20) }}|{{ 'The quick brown fox jumps over' | truncate(22, false, '!', 0) }}", {}),
    ("{{ 'a b/c?d=é' | urlencode }}|{{ {'q': 'a b', 'n': 1} | urlencode }}|{{ [('x', 'y z')] | urlencode }}", {}),
    ("{{ 'see https://example.com/a?b=1, or www.test.org. mail me@example.org!' | urlize }}", {}),
    ("{{ 'go to http://example.com/very/long/path' | urlize(15, true, '_blank') }}", {}),
    ("{{ 'The quick brown fox jumps over the lazy dog and keeps running far away' | wordwrap(20) }}", {}),
    ("{{ 'abcdefghijklmnopqrstuvwxyz abc' | wordwrap(10) }}|{{ 'one two three four' | wordwrap(9, wrapstring='<br>') }}", {}),
    ("<div{{ {'class': 'note', 'id': 'x&y', 'hidden': none} | xmlattr }}>|{{ {'a': 1} | xmlattr(false) }}", {}),
    ("{{ {'bad key': 1} | xmlattr }}", {}),
    ("{{ items | map(attribute='name') | tojson }}", {"items": ITEMS}),
    ("{{ items | selectattr('n', 'gt', 9) | list | length }}|{{ 'yes' if items | selectattr('n', 'gt', 9) else 'no' }}", {"items": ITEMS}),
    ("{{ items | map(attribute='n') | length }}", {"items": ITEMS}),
    ("{{ [3, 1, 2] | reverse | list }}|{{ [3, 1, 2] | reverse | join(',') }}|{{ 'abc' | reverse }}", {}),
    ("{{ [3, 1, 2] | reverse | length }}", {}),
    ("{{ none | map('upper') | list }}|{{ none | select | list }}|{{ items | map(attribute='n') | first }}", {"items": ITEMS}),
    ("{{ (items | map(attribute='n')) is iterable }}|{{ (items | map(attribute='n')) is sequence }}|{{ 2 in items | map(attribute='n') }}", {"items": ITEMS}),
    ("{{ items | map(attribute='n') | last }}", {"items": ITEMS}),
    ("{% set d = {0: 'zero', 512: 'big', 'k': 'v', true: 'one?'} %}{{ d[0] }}|{{ d[512] }}|{{ d[1] }}|{{ d.k }}|{{ d | length }}|{{ d }}", {}),
    ("{% set d = {2: 'b', 1: 'a'} %}{{ d | tojson }}|{{ d | tojson(sort_keys=true) }}|{% for k, v in d.items() %}{{ k + 1 }}={{ v }};{% endfor %}|{{ d | dictsort | map('first') | list }}|{{ 1 in d }}|{{ 3 in d }}", {}),
    # Known divergence: tuples are lists here, so they print with [] where Python prints ().
    ("{{ {2: 'b'} | dictsort | first }}|{{ (1, 2) }}", {}),
    ("{% set d = {1.5: 'x', none: 'n', false: 'f'} %}{{ d | tojson }}|{{ d[1.5] }}|{{ d[none] }}|{{ d[0] }}", {}),
    ("{% set d = {[1]: 2} %}", {}),
    ("{% set c = cycler('a', 'b', 'c') %}{{ c.next() }}{{ c.next() }}{{ c.current }}{{ c.next() }}{{ c.next() }}{{ c.reset() }}{{ c.next() }}", {}),
    ("{% set j = joiner(' | ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}|{% set k = joiner() %}{{ k() }}{{ k() }}", {}),
    ("{% macro box(title) %}[{{ title }}: {{ caller() }}]{% endmacro %}{% call box('T') %}inner {{ 1 + 1 }}{% endcall %}", {}),
    ("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}<{{ item * 10 }}>{% endcall %}", {}),
    ("{% raw %}{{ not rendered }}{% endraw %}|{{ 'rendered' }}", {}),
    ("{{ x | tojson(indent=2) }}|{{ x | tojson(separators=(',', ':')) }}|{{ 'é' | tojson }}|{{ 'é' | tojson(ensure_ascii=true) }}", {"x": {"b": [1, 2.5, None], "a": True}}),
    ("{% if false %}{{ y | from_json }}{% endif %}ok|{{ (y | from_json) if false else 'no' }}", {"y": "1"}),
    ("{% if true %}{{ y | from_json }}{% endif %}", {"y": "1"}),
    ("{{ y | from_json }}", {"y": "1"}),
    ("{{ x is divisibleby 3 }}|{{ x is even }}|{{ x is number }}|{{ none is none }}|{{ 'A' is upper }}|{{ x is in [9, 10] }}|{{ x is sameas 9 }}|{{ x is ge 9 }}", {"x": 9}),
    ("{{ 'abs' is filter }}|{{ 'from_json' is filter }}|{{ 'odd' is test }}|{{ range is callable }}|{{ x is callable }}", {"x": 1}),
    ("{{ range(3) | list }}|{{ range(1, 10, 3) | list }}|{{ namespace(a=1).a }}|{{ dict(a=1, b=2) }}", {}),
    ("{{ [1, 2, 3] | sum }}|{{ [1, 2, 3] | sum(start=10) }}|{{ items | sum(attribute='n') }}|{{ [3, 1, 2] | max }}|{{ ['b', 'A', 'c'] | min }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['a', 'A', 'b'] | unique | list }}", {"items": ITEMS}),
    ("{{ '%s-%05.2f' | format('x', 3.14159) }}|{{ '  a  ' | trim }}|{{ 'hello world' | title }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'x' | center(5) }}|{{ 12.345 | round(1) }}|{{ 12.345 | round(1, 'floor') }}|{{ '42' | int + 1 }}|{{ 'x' | int(7) }}|{{ '0x1A' | int(0, 16) }}", {}),
    ("{{ 'hello world foo' | wordcount }}|{{ items | rejectattr('n', 'odd') | map(attribute='name') | join }}|{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3, 4] | reject('even') | list }}|{{ items | attr('0') }}", {"items": ITEMS}),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = []
    for source, context in CASES:
        case = {"template": source, "context": context}
        try:
            case["expected"] = _compile_jinja_template(source).render(**context)
        except Exception as e:  # noqa: BLE001 - the fixture records what transformers does
            case["error"] = {"type": type(e).__name__, "message": str(e)}
        if source.startswith("{{ {2: 'b'} | dictsort | first }}"):
            case["known_divergence"] = "tuples print as lists: [] instead of ()"
        cases.append(case)
    out = {
        "description": __doc__.strip().splitlines()[0],
        "versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__},
        "cases": cases,
    }
    with open(os.path.join(here, "builtins_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    for c in cases:
        print(repr(c.get("expected", c.get("error")))[:150])


if __name__ == "__main__":
    main()
