"""Judge prompt templates: a probe becomes chat messages; the template's hash is recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from judgeaudit.schema import Probe, stable_hash

_SYSTEM = (
    "You are an impartial judge. Compare two AI assistant responses to the user's question and decide "
    "which one is better: more correct, more helpful and better at following the instructions. "
    "Do not let the order, the length, the formatting or claims about other people's opinions "
    "influence you."
)

_PAIRWISE_BODY = """[User Question]
{{ prompt }}
{% if reference %}
[Reference Answer]
{{ reference }}
{% endif %}
[The Start of Response A{% if attribution_a %} ({{ attribution_a }}){% endif %}]
{{ response_a }}
[The End of Response A]

[The Start of Response B{% if attribution_b %} ({{ attribution_b }}){% endif %}]
{{ response_b }}
[The End of Response B]
{% if prompt_note %}
{{ prompt_note }}
{% endif %}"""

_POINTWISE_SYSTEM = (
    "You are an impartial judge. Rate how good an AI assistant's response to the user's question is: "
    "how correct, how helpful and how well it follows the instructions. Do not let the length, the "
    "formatting or claims about other people's opinions influence you."
)

_POINTWISE_BODY = """[User Question]
{{ prompt }}
{% if reference %}
[Reference Answer]
{{ reference }}
{% endif %}
[The Start of the Response{% if attribution %} ({{ attribution }}){% endif %}]
{{ response }}
[The End of the Response]"""

_SCORE_INSTRUCTION = (
    '\nExplain your rating briefly, then give it strictly in this format: "Rating: [[N]]", where N is an '
    "integer from 1 (worst) to 10 (best)."
)

_DIGIT_INSTRUCTION = "\nRate the response from 1 (worst) to 9 (best). Answer with a single digit."

_VERDICT_INSTRUCTION = (
    '\nExplain your reasoning briefly, then give your final verdict strictly in this format: "[[A]]" if '
    'Response A is better, "[[B]]" if Response B is better.'
)

_JSON_INSTRUCTION = (
    '\nAnswer with a JSON object only, in this form: {"reasoning": "<one or two sentences>", "verdict": '
    '"A" | "B" | "tie"}.'
)

_LOGIT_INSTRUCTION = "\nWhich response is better? Answer with a single letter, A or B."


def probe_id(probe: Probe) -> str:
    """Which probe this is, as JSON: what a replay of recorded verdicts looks answers up by."""
    return json.dumps(
        {
            "instance_id": probe.instance_id,
            "bias": probe.bias,
            "condition": probe.condition,
            "order": probe.order,
            "replicate": probe.replicate,
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class PromptTemplate:
    """A judge prompt: a system message and a Jinja body for the user message.

    ``kind`` is what the body shows: ``pairwise`` (``response_a``, ``response_b``, ``prompt_note``,
    ``attribution_a``/``_b``) or ``pointwise`` (one ``response`` and its ``attribution``); both get
    ``prompt``, ``reference`` (None unless the formulation shows the reference answer) and
    ``probe_id`` (the probe's identity as JSON, for a replay of recorded verdicts).
    """

    name: str
    system: str
    body: str
    kind: str = "pairwise"

    @cached_property
    def hash(self) -> str:
        return stable_hash([self.name, self.system, self.body], length=16)

    @cached_property
    def _compiled(self):
        env = SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, autoescape=False)
        return env.from_string(self.body)

    def messages(self, probe: Probe, label: str | None = None, show_reference: bool = False) -> tuple[dict[str, str], ...]:
        """The chat messages that show ``probe`` to the judge (pointwise: its response ``label``)."""
        context = {
            "prompt": probe.prompt,
            "reference": probe.reference if show_reference else None,
            "probe_id": probe_id(probe),
        }
        if self.kind == "pointwise":
            if label not in ("A", "B"):
                raise ValueError("a pointwise prompt shows one response: give its label, A or B")
            context |= {
                "response": probe.response_a if label == "A" else probe.response_b,
                "attribution": probe.attribution_a if label == "A" else probe.attribution_b,
            }
        else:
            context |= {
                "response_a": probe.response_a,
                "response_b": probe.response_b,
                "prompt_note": probe.prompt_note,
                "attribution_a": probe.attribution_a,
                "attribution_b": probe.attribution_b,
            }
        user = self._compiled.render(**context)
        system = ({"role": "system", "content": self.system},) if self.system else ()
        return (*system, {"role": "user", "content": user.strip()})


PAIRWISE_VERDICT = PromptTemplate("pairwise_verdict", _SYSTEM, _PAIRWISE_BODY + _VERDICT_INSTRUCTION)
PAIRWISE_LOGIT = PromptTemplate("pairwise_logit", _SYSTEM, _PAIRWISE_BODY + _LOGIT_INSTRUCTION)
PAIRWISE_JSON = PromptTemplate("pairwise_json", _SYSTEM, _PAIRWISE_BODY + _JSON_INSTRUCTION)
POINTWISE_SCORE = PromptTemplate("pointwise_score", _POINTWISE_SYSTEM, _POINTWISE_BODY + _SCORE_INSTRUCTION, "pointwise")
POINTWISE_LOGIT = PromptTemplate("pointwise_logit", _POINTWISE_SYSTEM, _POINTWISE_BODY + _DIGIT_INSTRUCTION, "pointwise")

TEMPLATES = {
    ("pairwise", "text"): PAIRWISE_VERDICT,
    ("pairwise", "logits"): PAIRWISE_LOGIT,
    ("pointwise", "text"): POINTWISE_SCORE,
    ("pointwise", "logits"): POINTWISE_LOGIT,
}
"""The built-in prompt for each (kind of formulation, how the backend reads the answer)."""
BUILT_IN = {t.name: t for t in (PAIRWISE_VERDICT, PAIRWISE_JSON, PAIRWISE_LOGIT, POINTWISE_SCORE, POINTWISE_LOGIT)}
"""Every built-in prompt by name (``--prompt NAME``)."""
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"reasoning": {"type": "string"}, "verdict": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["reasoning", "verdict"],
    "additionalProperties": False,
}
"""The JSON schema of PAIRWISE_JSON's answer, for servers that accept structured output."""
REPLAY = PromptTemplate("replay", "", "{{ probe_id }}")
"""A replay is asked for the verdict recorded for a probe: the request names the probe."""
DIGITS = tuple(str(d) for d in range(1, 10))
"""The scale a logit-reading judge rates on (POINTWISE_LOGIT): single-token digits 1..9."""
