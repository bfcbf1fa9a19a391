"""Probes and perturbations: the counterbalanced design, deterministic, as the YAML files declare."""

from pathlib import Path

import pytest

from judgeaudit.biases import build_probes, load_registry, load_spec, select_biases
from judgeaudit.biases.perturb import reflow
from judgeaudit.biases.sentences import split_sentences
from judgeaudit.errors import JudgeAuditError
from judgeaudit.schema import (
    CONTROL,
    CUE_ON_BETTER,
    CUE_ON_WORSE,
    EDIT_ON_BETTER,
    EDIT_ON_WORSE,
    PLACEBO_ON_BETTER,
    PLACEBO_ON_WORSE,
    REPEAT,
    Instance,
    Probe,
)

INSTANCE = Instance(
    id="t1",
    prompt="What is 6 times 7?",
    chosen="6 times 7 is 42. You can check it as 6 × 7 = 42.",
    rejected="6 times 7 is 48. You can check it as 6 × 8 = 48.",
)


def _probes(bias: str, seed: int = 0, condition: str = CUE_ON_WORSE) -> list[Probe]:
    spec = load_registry()[bias]
    return [p for p in build_probes([INSTANCE], [spec], seed) if p.bias == bias and p.condition == condition]


def _shown(probe: Probe) -> tuple[str, str]:
    """(text shown for the better response, for the worse)."""
    if probe.correct == "A":
        return probe.response_a, probe.response_b
    return probe.response_b, probe.response_a


def test_shared_control_repeat_and_size_free_edit_in_both_orders() -> None:
    shared = [p for p in build_probes([INSTANCE], [], 0) if p.bias is None]
    reflowed = {side: reflow(getattr(INSTANCE, side)) for side in ("chosen", "rejected")}
    assert {(p.condition, p.order, p.correct, p.response_a, p.response_b, p.replicate) for p in shared} == {
        (CONTROL, "chosen_first", "A", INSTANCE.chosen, INSTANCE.rejected, 0),
        (CONTROL, "chosen_second", "B", INSTANCE.rejected, INSTANCE.chosen, 0),
        (REPEAT, "chosen_first", "A", INSTANCE.chosen, INSTANCE.rejected, 1),
        (REPEAT, "chosen_second", "B", INSTANCE.rejected, INSTANCE.chosen, 1),
        (EDIT_ON_WORSE, "chosen_first", "A", INSTANCE.chosen, reflowed["rejected"], 0),
        (EDIT_ON_WORSE, "chosen_second", "B", reflowed["rejected"], INSTANCE.chosen, 0),
        (EDIT_ON_BETTER, "chosen_first", "A", reflowed["chosen"], INSTANCE.rejected, 0),
        (EDIT_ON_BETTER, "chosen_second", "B", INSTANCE.rejected, reflowed["chosen"], 0),
    }
    assert all(len(reflowed[side]) == len(getattr(INSTANCE, side)) and reflowed[side] != getattr(INSTANCE, side) for side in reflowed)


@pytest.mark.parametrize("bias", ["verbosity", "authority", "markdown"])
def test_cue_is_counterbalanced_with_the_same_wording(bias: str) -> None:
    on_worse, on_better = _probes(bias), _probes(bias, condition=CUE_ON_BETTER)
    for probe in on_worse:
        better, worse = _shown(probe)
        assert better == INSTANCE.chosen and worse != INSTANCE.rejected
        assert probe.edited != probe.correct
    for probe in on_better:
        better, worse = _shown(probe)
        assert worse == INSTANCE.rejected and better != INSTANCE.chosen
        assert probe.edited == probe.correct
    assert {p.variant for p in on_worse} == {p.variant for p in on_better} and len({p.variant for p in on_worse}) == 1


def test_placebo_is_a_neutral_edit_of_comparable_size_on_the_worse_response() -> None:
    cue, placebo = _probes("authority")[0], _probes("authority", condition=PLACEBO_ON_WORSE)[0]
    added_by_cue = len(_shown(cue)[1]) - len(INSTANCE.rejected)
    added_by_placebo = len(_shown(placebo)[1]) - len(INSTANCE.rejected)
    assert _shown(placebo)[0] == INSTANCE.chosen and _shown(placebo)[1].startswith(INSTANCE.rejected)
    assert added_by_cue <= added_by_placebo < added_by_cue + 60
    assert not any(word in _shown(placebo)[1].lower() for word in ("expert", "prof", "verified", "correct", "journal"))


def test_same_text_in_both_orders_and_deterministic() -> None:
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


def test_bandwagon_names_the_cued_response_and_nothing_else_changes() -> None:
    for condition in (CUE_ON_WORSE, CUE_ON_BETTER, PLACEBO_ON_WORSE, PLACEBO_ON_BETTER):
        for probe in _probes("bandwagon", condition=condition):
            assert _shown(probe) == (INSTANCE.chosen, INSTANCE.rejected)
            other = "B" if probe.edited == "A" else "A"
            assert f"Response {probe.edited}" in probe.prompt_note and f"Response {other}" not in probe.prompt_note
    assert _probes("bandwagon")[0].edited != _probes("bandwagon")[0].correct


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
    probe = [p for p in build_probes([INSTANCE], [spec], 0) if p.condition == CUE_ON_WORSE][0]
    assert probe.response_b == "What a great question! " + INSTANCE.rejected


def test_unknown_key_in_a_bias_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(
        "name: typo\ndimension: x\ndescription: x\nmethod: template\ntemplat: \"{{ response }}\"\n", encoding="utf-8"
    )
    with pytest.raises(JudgeAuditError, match="typo.yaml:5: unknown key 'templat'"):
        load_registry([tmp_path])


def test_unknown_bias_lists_choices() -> None:
    with pytest.raises(JudgeAuditError, match="unknown bias .nope.; valid choices: age, answer_first, .*, verdict_injection"):
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


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ response }} {{ pad_to(1e9, 'f') }}", "pad_to ratio 1000000000.0 is outside"),
        ("{{ 'a' * 10**7 }}", "exceeds"),
        ("{% for i in range(10**6) %}{{ i }}{% endfor %}", "evil.yaml"),
    ],
)
def test_bias_files_render_within_limits(tmp_path: Path, template: str, message: str) -> None:
    (tmp_path / "evil.yaml").write_text(
        "name: evil\ndimension: x\ndescription: x\nmethod: template\n"
        f"template: \"{template}\"\nchoices:\n  f: [\"More.\"]\n",
        encoding="utf-8",
    )
    spec = load_registry([tmp_path])["evil"]
    with pytest.raises(JudgeAuditError, match=message) as error:
        build_probes([INSTANCE], [spec], 0)
    assert "evil.yaml" in str(error.value) and "\n" not in str(error.value)
