"""Judge prompt templates: a probe becomes chat messages; the template's hash is recorded."""

from __future__ import annotations

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

_VERDICT_INSTRUCTION = (
    '\nExplain your reasoning briefly, then give your final verdict strictly in this format: "[[A]]" if '
    'Response A is better, "[[B]]" if Response B is better.'
)

_LOGIT_INSTRUCTION = "\nWhich response is better? Answer with a single letter, A or B."


@dataclass(frozen=True)
class PromptTemplate:
    """A pairwise judge prompt: a system message and a Jinja body for the user message."""

    name: str
    system: str
    body: str

    @cached_property
    def hash(self) -> str:
        return stable_hash([self.name, self.system, self.body], length=16)

    @cached_property
    def _compiled(self):
        env = SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, autoescape=False)
        return env.from_string(self.body)

    def messages(self, probe: Probe) -> tuple[dict[str, str], ...]:
        """The chat messages that show ``probe`` to the judge."""
        user = self._compiled.render(
            prompt=probe.prompt,
            reference=probe.reference,
            response_a=probe.response_a,
            response_b=probe.response_b,
            prompt_note=probe.prompt_note,
            attribution_a=probe.attribution_a,
            attribution_b=probe.attribution_b,
        )
        return ({"role": "system", "content": self.system}, {"role": "user", "content": user.strip()})


PAIRWISE_VERDICT = PromptTemplate("pairwise_verdict", _SYSTEM, _PAIRWISE_BODY + _VERDICT_INSTRUCTION)
PAIRWISE_LOGIT = PromptTemplate("pairwise_logit", _SYSTEM, _PAIRWISE_BODY + _LOGIT_INSTRUCTION)
