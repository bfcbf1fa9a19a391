"""Writes ``pairwise.eval``, the inspect_ai log ``judgeaudit import inspect`` is tested on.

    cd tests/data/logs/inspect && python make_log.py      # needs: pip install 'judgeaudit[inspect]'

A tiny pairwise judging task run on inspect's ``mockllm/model`` (no network, no key): each sample
shows a question with response A and response B (``metadata``: instance_id, prompt, response_a,
response_b, category), its target is the better response as shown ("A"/"B"), and the scorer is
``match()`` on the mock judge's answer. Three pairs, each in both orders, two epochs (the second epoch
is a repeat of the first); the mock judge's answers are fixed below, in the order inspect asks them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate

PAIRS = [
    ("tea", "How long should green tea steep?", "Two to three minutes at about 80 degrees Celsius.", "Ten minutes in boiling water.", "writing"),
    ("sum", "What is 17 + 25?", "42", "32", "math"),
    ("moon", "Does the Moon have an atmosphere?", "Only a tenuous exosphere, far too thin to breathe.", "Yes, a thick one like Earth's.", "stem"),
]
# The mock judge: per (instance, A shown first?) its answer in epoch 1 and 2; "sum" is judged by position.
ANSWERS = {
    ("tea", True): ["[[A]]", "[[A]]"], ("tea", False): ["[[B]]", "[[B]]"],
    ("sum", True): ["[[A]]", "[[A]]"], ("sum", False): ["[[A]]", "[[A]]"],
    ("moon", True): ["[[A]]", "[[A]]"], ("moon", False): ["[[B]]", "I cannot decide."],
}


def samples() -> list[Sample]:
    out = []
    for instance_id, prompt, better, worse, category in PAIRS:
        for better_first in (True, False):
            shown_a, shown_b = (better, worse) if better_first else (worse, better)
            text = f"[Question]\n{prompt}\n[Response A]\n{shown_a}\n[Response B]\n{shown_b}\nAnswer [[A]] or [[B]]."
            out.append(Sample(
                id=f"{instance_id}-{'ab' if better_first else 'ba'}", input=text, target="A" if better_first else "B",
                metadata={"instance_id": instance_id, "prompt": prompt, "response_a": shown_a, "response_b": shown_b, "category": category},
            ))
    return out


def main() -> None:
    order = [(s, epoch) for epoch in (0, 1) for s in samples()]  # inspect runs epoch by epoch, samples in order (max_connections=1)
    outputs = []
    for sample, epoch in order:
        output = ModelOutput.from_content("mockllm/model", ANSWERS[(sample.metadata["instance_id"], str(sample.id).endswith("-ab"))][epoch])  # type: ignore[index]
        output.usage = ModelUsage(input_tokens=40, output_tokens=5, total_tokens=45)  # set, so mockllm counts no tokens (tiktoken would download)
        outputs.append(output)
    model = get_model("mockllm/model", custom_outputs=outputs)
    task = Task(dataset=samples(), solver=generate(), scorer=match(location="any"), epochs=2, name="pairwise_judge")
    here = Path(__file__).parent
    logs = eval(task, model=model, log_dir=str(here / "_logs"), log_format="eval", max_connections=1, max_samples=1, display="none")
    shutil.move(logs[0].location, here / "pairwise.eval")
    shutil.rmtree(here / "_logs")


if __name__ == "__main__":
    main()
