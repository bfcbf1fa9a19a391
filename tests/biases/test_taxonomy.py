"""The bundled taxonomy: its coverage, cues that do not leak into each other, and every bias's probes
differing from the control exactly as its file says."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from judgeaudit.biases import build_probes, load_registry
from judgeaudit.biases.placebo import DEFAULT_PLACEBO, NEUTRAL_ATTRIBUTIONS, NEUTRAL_NOTES, NEUTRAL_SENTENCES
from judgeaudit.biases.probes import PLACEBO_SIZE_STEP, shared_probes, uses_size_free_placebo
from judgeaudit.biases.sentences import split_sentences
from judgeaudit.biases.spec import DIMENSIONS, BiasSpec
from judgeaudit.datasets import load_instances, sample_path
from judgeaudit.report.examples import mark_insertions
from judgeaudit.schema import (
    CUE_ON_BETTER,
    CUE_ON_WORSE,
    EDIT_ON_BETTER,
    EDIT_ON_WORSE,
    PLACEBO_ON_BETTER,
    PLACEBO_ON_WORSE,
    Instance,
    Probe,
)

REGISTRY = load_registry()
INSTANCES = load_instances(sample_path())
TEMPLATED = [spec for spec in REGISTRY.values() if spec.method == "template"]
# The coverage the taxonomy promises, by the names of the built-in files.
REQUIRED = {
    "presentation": {"position", "verbosity", "markdown", "self_reflection", "answer_first"},
    "tone": {"assertiveness", "sycophancy", "sentiment_positive", "sentiment_negative", "concreteness"},
    "social": {"authority", "bandwagon", "distraction", "compassion_fade"},
    "identity": {"gender", "race", "religion", "age", "nationality"},
    "integrity": {"verdict_injection", "refinement_aware", "self_enhancement"},
}


def test_the_taxonomy_covers_every_promised_bias_over_five_dimensions() -> None:
    assert len(REGISTRY) >= 18 and set(DIMENSIONS) == set(REQUIRED)
    for dimension, names in REQUIRED.items():
        assert names <= {n for n, s in REGISTRY.items() if s.dimension == dimension}, dimension
    for spec in REGISTRY.values():
        assert len(spec.description.split()) >= 20 and spec.references, spec.name
        for name, items in spec.choices.items():
            assert len(items) >= 4 and len(set(items)) == len(items), (spec.name, name)
        if spec.method == "template" and spec.edit != "reorder":
            assert spec.choices and spec.vocabulary, spec.name
    assert {s.expected for s in REGISTRY.values() if s.dimension == "identity"} == {"either"}


# ---- cues do not leak into each other --------------------------------------------------------------


def _contains(text: str, word: str) -> bool:
    """Whole-word match for words, substring match for items with symbols (``**``, ``[[``, ``% of``)."""
    text = text.lower()
    if re.fullmatch(r"[\w' -]+", word):
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
    return word in text


def _literals(template: str) -> str:
    """A template's own text, without its Jinja expressions and statements."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", template, flags=re.DOTALL)


def _written_by(spec: BiasSpec) -> list[str]:
    """Every text a bias can inject: each wording variant, the templates' own text."""
    texts = [item for items in spec.choices.values() for item in items]
    return texts + [_literals(t) for t in (spec.template, spec.counterpart, spec.placebo) if t]


def _by_side(probe: Probe) -> dict[str, str]:
    """The texts shown for the better and the worse response, and the headers of each."""
    better_first = probe.correct == "A"
    return {
        "better": probe.response_a if better_first else probe.response_b,
        "worse": probe.response_b if better_first else probe.response_a,
        "better_header": probe.attribution_a if better_first else probe.attribution_b,
        "worse_header": probe.attribution_b if better_first else probe.attribution_a,
    }


def _inserted(probe: Probe, instance: Instance) -> list[str]:
    """The text a probe adds to the unchanged pair (in either response, the note or a header)."""
    shown = _by_side(probe)
    added = [probe.prompt_note, probe.attribution_a, probe.attribution_b]
    for side, original in (("better", instance.chosen), ("worse", instance.rejected)):
        kept = set(original.split())
        for segment, new in mark_insertions(original, shown[side]):
            # Restyling wraps the original's own words in markup: those words are not added text.
            added += [" ".join(t for t in segment.split() if t.strip("*#-") not in kept)] if new else []
    return [text for text in added if text.strip()]


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=list(REGISTRY))
def test_no_bias_carries_another_bias_cue(spec: BiasSpec) -> None:
    others = {name: other.vocabulary for name, other in REGISTRY.items() if name != spec.name}
    written = _written_by(spec)
    if spec.method == "template":
        for seed in range(3):
            for probe in build_probes(INSTANCES, [spec], seed):
                if probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER):
                    written += _inserted(probe, next(i for i in INSTANCES if i.id == probe.instance_id))
    leaks = {(name, word) for text in written for name, words in others.items() for word in words if _contains(text, word)}
    assert not leaks, f"{spec.name} carries the cue words of {sorted(leaks)}"


def test_placebo_text_carries_no_cue_of_any_bias() -> None:
    neutral = [*NEUTRAL_SENTENCES, *NEUTRAL_NOTES, *NEUTRAL_ATTRIBUTIONS, *map(_literals, DEFAULT_PLACEBO.values())]
    for spec in TEMPLATED:
        for probe in build_probes(INSTANCES[:20], [spec], 0):
            if probe.condition in (PLACEBO_ON_WORSE, PLACEBO_ON_BETTER):
                neutral += _inserted(probe, next(i for i in INSTANCES if i.id == probe.instance_id))
    leaks = {(name, word) for text in neutral for name, spec in REGISTRY.items() for word in spec.vocabulary if _contains(text, word)}
    assert not leaks, sorted(leaks)


def test_the_leak_check_catches_a_leak() -> None:
    """The vocabularies would catch a bandwagon line citing an expert, or flattery asserting correctness."""
    assert any(_contains("Most expert reviewers preferred it.", w) for w in REGISTRY["authority"].vocabulary)
    assert any(_contains("Great question! This is the correct answer.", w) for w in REGISTRY["verdict_injection"].vocabulary)
    assert not _contains("a human wrote this", "man") and _contains("as a man, I", "man")


# ---- every bias changes exactly what its file says ---------------------------------------------------


def _words(text: str) -> list[str]:
    """Words with markdown (headers, bullets, bold) taken off."""
    return re.sub(r"(?m)^\s*(#+|-)\s+", " ", text).replace("**", "").split()


def _check_edit(spec: BiasSpec, original: str, edited: str) -> None:
    assert edited != original
    if spec.edit == "append":
        assert edited.startswith(original)
    elif spec.edit == "prepend":
        assert edited.endswith(original)
    elif spec.edit == "wrap":
        before, found, after = edited.partition(original)
        assert found and before.strip() and after.strip()
    elif spec.edit == "insert":
        inserted = [seg for seg, new in mark_insertions(original, edited) if new]
        assert len(inserted) == 1 and edited.replace(inserted[0], "", 1).split() == original.split()
    elif spec.edit == "reorder":
        assert Counter(split_sentences(edited)) == Counter(split_sentences(original))
        assert Counter(edited.split()) == Counter(original.split()) and edited.split() != original.split()
    elif spec.edit == "restyle":
        heading = [w for w in _words(edited) if w not in _words(original)]
        assert [w for w in _words(edited) if w not in heading] == _words(original) and len(heading) <= 2


@pytest.mark.parametrize("spec", TEMPLATED, ids=[s.name for s in TEMPLATED])
def test_each_probe_differs_from_the_control_exactly_as_described(spec: BiasSpec) -> None:
    applied = 0
    size_free = uses_size_free_placebo(spec)
    for instance in INSTANCES:
        probes = [p for p in build_probes([instance], [spec], seed=1) if p.bias == spec.name]
        if not probes:
            # Only a reorder can fail to apply, and only to a response of one sentence.
            assert spec.edit == "reorder" and 1 in (len(split_sentences(instance.chosen)), len(split_sentences(instance.rejected)))
            continue
        applied += 1
        expected = {CUE_ON_WORSE: 2, CUE_ON_BETTER: 2} | ({} if size_free else {PLACEBO_ON_WORSE: 2, PLACEBO_ON_BETTER: 2})
        assert Counter(p.condition for p in probes) == expected
        cues = {(p.condition, p.order): p for p in probes}
        for probe in probes:
            shown = _by_side(probe)
            edited, other = ("worse", "better") if probe.condition in (CUE_ON_WORSE, PLACEBO_ON_WORSE) else ("better", "worse")
            original = {"better": instance.chosen, "worse": instance.rejected}
            assert probe.edited == (probe.correct if edited == "better" else ("B" if probe.correct == "A" else "A"))
            is_cue = probe.condition in (CUE_ON_WORSE, CUE_ON_BETTER)
            if spec.apply_to == "response" and is_cue:
                _check_edit(spec, original[edited], shown[edited])
            elif spec.apply_to == "response":
                # The placebo: neutral text of the cue's size (to within the rounding and a word) at the cue's place.
                cue = _by_side(cues[CUE_ON_WORSE if edited == "worse" else CUE_ON_BETTER, probe.order])
                place = spec.edit if spec.edit in ("prepend", "insert", "wrap") else "append"
                _check_edit(replace(spec, edit=place), original[edited], shown[edited])
                assert abs(len(shown[edited]) - len(cue[edited])) <= PLACEBO_SIZE_STEP // 2 + 12
                if spec.counterpart:
                    assert abs(len(shown[other]) - len(cue[other])) <= PLACEBO_SIZE_STEP // 2 + 12
            elif spec.apply_to == "prompt_note":
                assert shown[edited] == original[edited] and f"Response {probe.edited}" in probe.prompt_note
            elif spec.apply_to == "attribution":
                assert shown[edited] == original[edited] and shown[f"{edited}_header"]
                assert not shown[f"{other}_header"]
            if spec.counterpart:
                assert shown[other].endswith(original[other]) and shown[other] != original[other]
            else:
                assert shown[other] == original[other]
            if spec.apply_to != "attribution":
                assert not probe.attribution_a and not probe.attribution_b
    # Reordering needs two sentences in both responses: 13 of the 65 sample instances have them.
    assert applied >= (13 if spec.edit == "reorder" else len(INSTANCES))


def test_the_shared_size_free_edit_changes_one_break_and_no_size() -> None:
    for instance in INSTANCES:
        edits = [p for p in shared_probes(instance) if p.condition in (EDIT_ON_WORSE, EDIT_ON_BETTER)]
        assert Counter(p.condition for p in edits) == {EDIT_ON_WORSE: 2, EDIT_ON_BETTER: 2}
        for probe in edits:
            shown = _by_side(probe)
            edited, other = ("worse", "better") if probe.condition == EDIT_ON_WORSE else ("better", "worse")
            original = {"better": instance.chosen, "worse": instance.rejected}
            assert shown[other] == original[other] and shown[edited] != original[edited]
            assert shown[edited].split() == original[edited].split()  # the same words in the same order
            assert len(shown[edited]) - len(original[edited]) in (0, 1)  # 1: a line break after a word or code


@pytest.mark.parametrize("name", sorted(REQUIRED["identity"]))
def test_identity_goes_where_the_file_says_with_its_paired_contrast(name: str) -> None:
    spec = REGISTRY[name]
    self_ids, contrasts = spec.choices["self_id"], spec.choices["contrast"]
    assert len(self_ids) == len(contrasts)
    for instance in INSTANCES[:15]:
        probe = next(p for p in build_probes([instance], [spec], 3) if p.condition == CUE_ON_WORSE)
        shown = _by_side(probe)
        (index,) = [i for i, text in enumerate(self_ids) if shown["worse"].startswith(text)]
        assert shown["better"].startswith(contrasts[index])  # the same index: the paired wording


def test_verbosity_keeps_the_text_and_reaches_its_ratio() -> None:
    for instance in INSTANCES:
        probe = next(p for p in build_probes([instance], [REGISTRY["verbosity"]], 0) if p.condition == CUE_ON_WORSE)
        padded = _by_side(probe)["worse"]
        assert padded.startswith(instance.rejected) and len(padded) >= 1.8 * len(instance.rejected)


@pytest.mark.parametrize("spec", TEMPLATED, ids=[s.name for s in TEMPLATED])
def test_wording_is_fixed_by_the_seed_and_varies_across_seeds(spec: BiasSpec) -> None:
    instance = next(i for i in INSTANCES if any(p.bias == spec.name for p in build_probes([i], [spec], 0)))

    def shown(seed: int) -> list[tuple[str, ...]]:
        return [(p.response_a, p.response_b, p.prompt_note, p.attribution_a, p.attribution_b) for p in build_probes([instance], [spec], seed)]

    assert shown(5) == shown(5)
    if spec.choices:
        assert len({tuple(shown(seed)) for seed in range(10)}) > 1
    cue = [p for p in build_probes([instance], [spec], 5) if p.condition == CUE_ON_WORSE]
    assert len({p.variant for p in cue}) == 1  # both orders show the same wording


# ---- user-defined biases, selection and discovery ----------------------------------------------------


def test_a_user_bias_adds_or_overrides_and_a_malformed_one_names_file_key_and_line(tmp_path) -> None:
    from judgeaudit.biases import load_spec, select_biases
    from judgeaudit.errors import JudgeAuditError

    (tmp_path / "emoji.yaml").write_text(
        "name: emoji\ndimension: presentation\ndescription: Emoji at the end.\nmethod: template\n"
        "template: \"{{ response }} {{ pick('e') }}\"\nchoices:\n  e: ['🎉', '✨', '🚀', '💯']\nvocabulary: ['🎉']\n",
        encoding="utf-8",
    )
    (tmp_path / "authority.yaml").write_text(
        "name: authority\ndimension: social\ndescription: Mine.\nmethod: template\ntemplate: \"{{ response }} (Dr. X)\"\n",
        encoding="utf-8",
    )
    registry = load_registry([tmp_path])
    assert "emoji" in registry and registry["authority"].description == "Mine." and len(registry) == len(REGISTRY) + 1
    bad = tmp_path / "bad" / "b.yaml"
    bad.parent.mkdir()
    bad.write_text("name: b\ndimension: tone\ndescription: x\nmethod: template\ntemplate: x\nexpected: sideways\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"b\.yaml:6: 'expected' must be one of toward, away, either; got 'sideways'"):
        load_spec(bad)
    bad.write_text("name: b\ndimension: tone\ndescription: x\nmethod: template\ntemplate: x\nvocabulary: 3\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"b\.yaml:6: 'vocabulary' must be a list of strings"):
        load_spec(bad)
    bad.write_text("name: b\ndimension: social\ndescription: x\nmethod: template\napply_to: prompt_note\ntemplate: x\nrewrite: y\n", encoding="utf-8")
    with pytest.raises(JudgeAuditError, match=r"b\.yaml:7: 'rewrite' rewrites a response, so it needs apply_to: response"):
        load_spec(bad)
    assert [s.name for s in select_biases(registry, ["emoji,position"])] == ["emoji", "position"]


def test_selection_by_dimension_and_exclusion() -> None:
    from judgeaudit.biases import select_biases
    from judgeaudit.errors import JudgeAuditError

    identity = select_biases(REGISTRY, dimensions=["identity"], exclude=["age"])
    assert {s.name for s in identity} == REQUIRED["identity"] - {"age"}
    assert {s.name for s in select_biases(REGISTRY, dimensions=["tone,social"])} == REQUIRED["tone"] | REQUIRED["social"]
    with pytest.raises(JudgeAuditError, match="unknown dimension 'vibes'; valid choices: identity, integrity"):
        select_biases(REGISTRY, dimensions=["vibes"])
    with pytest.raises(JudgeAuditError, match="no bias left"):
        select_biases(REGISTRY, names=["age"], exclude=["age"])


def test_biases_list_and_show_on_the_command_line() -> None:
    import subprocess
    import sys

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "judgeaudit.cli", "biases", *args], capture_output=True, text=True, env={"COLUMNS": "200", "PATH": ""}, check=True)
        return done.stdout

    listed = cli("list")
    assert f"{len(REGISTRY)} biases" in listed
    assert all(name in listed for name in REGISTRY) and all(dimension in listed for dimension in DIMENSIONS)
    shown = cli("show", "bandwagon")
    assert "note after the responses" in shown and "Koo et al." in shown and "Response " in shown
    shown = cli("show", "gender")
    assert "Response A" in shown and "Response B" in shown  # the cue and its contrasting counterpart
    assert "needs a model" in cli("show", "self_enhancement")
