"""Bias templates render in a sandbox with limits: every costly template stops quickly with one line
naming its file, and ordinary templates render exactly as in Jinja's plain sandbox."""

from __future__ import annotations

import resource
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from judgeaudit.biases.sandbox import render_limited
from judgeaudit.biases.sentences import split_sentences
from judgeaudit.errors import JudgeAuditError

SOURCE = "bias_templates/x.yaml"
RESPONSE = (
    "The answer is 4. Adding two and two gives four!\nIs that all? Yes.\n"
    "```python\nprint(2 + 2)  # 4. Done.\n```\n(A note.) \"Quoted\" end. " * 12
)
NESTED_RESPONSE_LOOP = "{% for a in response %}{% for b in response %}{% for c in response %}{% endfor %}{% endfor %}{% endfor %}"
NESTED_RANGE_LOOP = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
EXPONENTIAL_MACRO = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"


def _context() -> dict:
    return {
        "response": RESPONSE,
        "label": "B",
        "pick": lambda name: f"<{name}>",
        "pad_to": lambda ratio, name: f"[{name} x{ratio}]",
        "neutral": lambda n: f"[neutral {n}]",
        "neutral_note": lambda: "Note: Response {label} was received.",
        "neutral_attribution": lambda: "entry 7",
        "insert_at": lambda text, where="middle": f"{RESPONSE} [{text} at {where}]",
        "conclusion_first": lambda: f"[conclusion first] {RESPONSE}",
        "added": 40,
    }


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _assert_refused(template: str, message: str, **limits) -> None:
    started, peak = time.monotonic(), _peak_mib()
    with pytest.raises(JudgeAuditError) as err:
        render_limited(template, _context(), SOURCE, **limits)
    assert time.monotonic() - started < 5
    assert _peak_mib() - peak < 100, "memory grew by more than 100 MiB"
    text = str(err.value)
    assert text.startswith(f"{SOURCE}: ") and message in text and "\n" not in text


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'a' * 10**7 }}", "the result of '*' exceeds 20000 characters"),
        ("{{ 'x' ~ ('y' * 100000) }}", "exceeds 20000 characters"),
        ("{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}", "range() exceeds 10000 items"),
        (NESTED_RANGE_LOOP, "exceeds the time limit of 2 s"),
        ("{{ response | center(10**9) }}", "the result of 'center' exceeds 20000 characters"),
        ("{{ response.center(10**9) }}", "the result of str.center() exceeds 20000 characters"),
        ("{{ 'x'.ljust(10**9) }}", "exceeds 20000 characters"),
        ("{{ 2 ** (10 ** 8) }}", "the result of '**' exceeds 10000 bits"),  # Jinja's ** is left-associative
        ("{% set a = 2 ** 9000 %}{% set b = a * a %}{{ b * b }}", "the result of '*' exceeds 10000 bits"),
        (NESTED_RESPONSE_LOOP, "exceeds the time limit of 2 s"),
        ("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "template output exceeds 20000 characters"),
        (EXPONENTIAL_MACRO, "exceeds the time limit of 2 s"),
        ("{{ response | replace('e', 'e' * 10000) }}", "the result of 'replace' exceeds 20000 characters"),
        ("{{ response.replace('e', 'e' * 10000) }}", "the result of str.replace() exceeds 20000 characters"),
        ("{% set big = 'y' * 10000 %}{{ [big, big, big] | join }}", "the input of 'join' exceeds 20000 characters"),
        ("{% set big = 'y' * 10000 %}{{ '-'.join([big, big, big]) }}", "the result of str.join() exceeds 20000 characters"),
        ("{% set big = 'y' * 10000 %}{{ big + big + big }}", "the result of '+' exceeds 20000 characters"),
        ("{% set x %}{% for i in range(10000) %}{{ 'y' * 10000 }}{% endfor %}{% endset %}ok", "a block of template output exceeds"),
        ("{% set a = ['y' * 5000] * 2 %}{% set b = [a, a, a, a] %}{{ [b, b, b, b] }}", "template output exceeds"),
        ("{% set a = ['y' * 5000] * 2 %}{% set b = [a, a, a, a] %}{{ 'x' ~ [b, b, b, b] }}", "the result of '~' exceeds"),
        ("{{ 'ab' | indent(10**9) }}", "the result of 'indent' exceeds"),
        ("{{ [1, 2] | batch(10**9, 0) | list }}", "the result of 'batch' exceeds"),
        ("{{ '%0999999999d' % 1 }}", "string formatting with '%' is not allowed"),
        ("{{ '{:>999999999}'.format(1) }}", "access to attribute 'format' of 'str' object is unsafe"),
        ("{{ (1).to_bytes(10**9, 'big') }}", "access to attribute 'to_bytes' of 'int' object is unsafe"),
        ("{% set l = [1] %}{{ l.extend(l) }}", "access to attribute 'extend' of 'list' object is unsafe"),
        ("{{ response | wordwrap(1, wrapstring='x' * 10000) }}", "No filter named 'wordwrap'"),
        ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
        ("{{ missing }}", "template error: 'missing' is undefined"),
    ],
)
def test_costly_templates_stop_quickly_naming_the_file(template: str, message: str) -> None:
    _assert_refused(template, message)


def test_limits_are_parameters() -> None:
    _assert_refused("{{ response }}", "template output exceeds 100 characters", max_chars=100)
    _assert_refused(NESTED_RANGE_LOOP, "exceeds the time limit of 0.3 s", time_limit_s=0.3)
    assert render_limited("{{ 'x' * 30000 }}", {}, SOURCE, max_chars=40_000) == "x" * 30000


def _yaml_templates() -> list[str]:
    templates = []
    for path in sorted(Path("bias_templates").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        templates += [v for k, v in spec.items() if ("template" in k or "placebo" in k) and isinstance(v, str)]
    return templates


ORDINARY = [
    "{{ response }}\n\n{{ pick('citation') }}",
    "{{ pick('statement') | replace('{label}', label) }}",
    "## {{ pick('heading') }}\n\n{% for part in response | sentences -%}\n"
    "{% if part.startswith('```') %}{{ part }}{% else %}- **{{ part }}**{% endif %}\n{% endfor %}",
    "{{ response }}\n\n{{ pad_to(1.8, 'fillers') }}",
    "{% for s in response | sentences %}{{ loop.index }}. {{ s | upper }}{{ ' ' if not loop.last }}{% endfor %}",
    "{{ '-' * 20 }}\n{{ response | sentences | map('lower') | join(' / ') }}\n{{ (response | sentences)[0] | center(60) }}",
    "{% macro quote(t) %}> {{ t | trim }}{% endmacro %}{% for s in (response | sentences)[:3] %}{{ quote(s) }}\n{% endfor %}",
    "{% set n = response | length %}{{ n }} {{ n // 3 + 2 ** 5 }} {{ range(3) | list }} {{ response.split()[:4] | join(',') }}",
    "{{ response | indent(2, first=True) }}{{ response.replace('4', 'four') | truncate(80) }}{{ response | wordcount }}",
    "{% set s %}{% for i in range(5) %}{{ i }}{% endfor %}{% endset %}{{ s }} {{ {'a': 1}.items() | list }} {{ neutral(added) }}",
    "{% set ns = namespace(n=0) %}{% for s in response | sentences %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
    "{% filter upper %}{{ neutral_note() | replace('{label}', label) }}{% endfilter %}",
]


@pytest.mark.parametrize("template", ORDINARY + _yaml_templates())
def test_ordinary_templates_render_as_in_the_plain_sandbox(template: str) -> None:
    plain = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    plain.filters["sentences"] = split_sentences
    expected = plain.from_string(template).render(_context())
    assert render_limited(template, _context(), SOURCE) == expected
    assert render_limited(template, _context(), SOURCE) == expected  # the compiled template is reused


@pytest.mark.parametrize("template", [NESTED_RESPONSE_LOOP, NESTED_RANGE_LOOP, EXPONENTIAL_MACRO])
def test_a_render_outside_the_main_thread_stops_a_runaway_loop(template: str) -> None:
    outcome: list[BaseException] = []

    def render() -> None:
        try:
            render_limited(template, _context(), SOURCE, time_limit_s=0.5)
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    worker = threading.Thread(target=render, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and time.monotonic() - started < 5
    assert len(outcome) == 1 and isinstance(outcome[0], JudgeAuditError)
    assert str(outcome[0]) == f"{SOURCE}: template rendering exceeds the time limit of 0.5 s"


def test_the_previous_alarm_handler_and_timer_are_restored() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        render_limited("{{ response }}", _context(), SOURCE)
        with pytest.raises(JudgeAuditError, match="time limit"):
            render_limited(NESTED_RANGE_LOOP, _context(), SOURCE, time_limit_s=0.2)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30 and not fired
        signal.setitimer(signal.ITIMER_REAL, 0.01)  # the restored handler is the one that runs
        time.sleep(0.1)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
