"""Perturbations: deterministic, applied to the rejected side only, and as the YAML files declare."""

from pathlib import Path

import pytest

from judgeaudit.biases import build_probes, load_registry, load_spec, select_biases
from judgeaudit.biases.perturb import split_sentences
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import CONTROL, Instance

INSTANCE = Instance(
    id="t1",
    prompt="What is 6 times 7?",
    chosen="6 times 7 is 42. You can check it as 6 × 7 = 42.",
    rejected="6 times 7 is 48. You can check it as 6 × 8 = 48.",
)


def _probes(bias: str, seed: int = 0):
    spec = load_registry()[bias]
    return [p for p in build_probes([INSTANCE], [spec], seed) if p.bias == bias]


def test_controls_in_both_orders() -> None:
    controls = [p for p in build_probes([INSTANCE], [], 0) if p.bias == CONTROL]
    assert {(p.order, p.correct, p.response_a) for p in controls} == {
        ("chosen_first", "A", INSTANCE.chosen),
        ("chosen_second", "B", INSTANCE.rejected),
    }


@pytest.mark.parametrize("bias", ["verbosity", "authority", "markdown"])
def test_response_biases_change_only_the_rejected_side(bias: str) -> None:
    for probe in _probes(bias):
        chosen_text = probe.response_a if probe.correct == "A" else probe.response_b
        rejected_text = probe.response_b if probe.correct == "A" else probe.response_a
        assert chosen_text == INSTANCE.chosen
        assert rejected_text != INSTANCE.rejected
        assert probe.target != probe.correct


def test_same_perturbed_text_in_both_orders_and_deterministic() -> None:
    first, second = _probes("authority")
    assert first.response_b == second.response_a
    assert [p.response_b for p in _probes("authority")] == [first.response_b, second.response_b]


def test_seed_changes_choice() -> None:
    texts = {_probes("authority", seed)[0].response_b for seed in range(12)}
    assert len(texts) > 1


def test_verbosity_pads_to_ratio_and_keeps_content() -> None:
    probe = _probes("verbosity")[0]
    padded = probe.response_b
    assert padded.startswith(INSTANCE.rejected)
    assert len(padded) >= 1.8 * len(INSTANCE.rejected)


def test_markdown_keeps_every_sentence_and_code() -> None:
    probe = _probes("markdown")[0]
    assert probe.response_b.startswith("## ")
    for sentence in split_sentences(INSTANCE.rejected):
        assert f"- **{sentence}**" in probe.response_b
    code = "Use this:\n```python\ndef f(x):\n    return x. Done\n```\nIt works. Really."
    assert split_sentences(code) == ["Use this:", "```python\ndef f(x):\n    return x. Done\n```", "It works.", "Really."]


def test_bandwagon_names_the_wrong_response() -> None:
    for probe in _probes("bandwagon"):
        assert (probe.response_a, probe.response_b) in {
            (INSTANCE.chosen, INSTANCE.rejected),
            (INSTANCE.rejected, INSTANCE.chosen),
        }
        wrong = "B" if probe.correct == "A" else "A"
        assert f"Response {wrong}" in probe.prompt_note
        assert f"Response {probe.correct}" not in probe.prompt_note


def test_position_needs_no_extra_probes() -> None:
    assert _probes("position") == []


def test_user_defined_bias_needs_no_python(tmp_path: Path) -> None:
    (tmp_path / "flattery.yaml").write_text(
        "name: flattery\ndimension: context\ndescription: praise the asker\nmethod: template\n"
        "template: \"What a great question! {{ response }}\"\n",
        encoding="utf-8",
    )
    registry = load_registry([tmp_path])
    (spec,) = select_biases(registry, ["flattery"])
    probe = [p for p in build_probes([INSTANCE], [spec], 0) if p.bias == "flattery"][0]
    assert probe.response_b == "What a great question! " + INSTANCE.rejected


def test_unknown_bias_lists_choices() -> None:
    with pytest.raises(JudgeAuditError, match="unknown bias 'nope'; valid choices: authority, bandwagon"):
        select_biases(load_registry(), ["nope"])


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndimension: [unclosed\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"bad.yaml:\d+: invalid YAML"):
        load_spec(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text("name: x\nmethod: template\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match="missing.yaml: missing required key 'dimension'"):
        load_spec(missing)


def test_templates_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text(
        "name: evil\ndimension: x\ndescription: x\nmethod: template\n"
        "template: \"{{ response.__class__.__mro__[1].__subclasses__() }}\"\n",
        encoding="utf-8",
    )
    spec = load_registry([tmp_path])["evil"]
    with pytest.raises(JudgeAuditError, match="template error"):
        build_probes([INSTANCE], [spec], 0)
