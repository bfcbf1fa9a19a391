"""Per-bias effects, one value per instance, and the decision BIASED / NOT DETECTED / INCONCLUSIVE.

For a content cue, instance i has its preference for the better response averaged over the two
orders in each condition, on the verdict scale (1 better / 0.5 tie / 0 worse: the same scale whatever
the judge's readout, so no effect depends on the units of a score): y_worse and y_better with the cue
on the worse or the better response, p_worse and p_better with the placebo there (neutral text of the
cue's size at the cue's place, a neutral note or header; for cues whose essence is size, an edit that
changes no size). Three pulls per instance:
- **total** y_better - y_worse: how far moving the cue from the worse to the better response swings
  the preference (0: the cue does not matter; 1: it alone decides);
- **edit/size** p_better - p_worse: the same for the placebo: what any edit of that size and place does;
- **cue-specific** total - edit/size (a difference in differences, in [-2, 2]): what the cue itself does.
The test and the certificate are about the cue-specific pull, so a judge that dislikes edits or likes
length is described once, at the judge level (``stats.edits``), not as biased on every cue. The test
looks the way the bias file expects a biased judge to move: one-sided toward the cue, one-sided away
from it, or two-sided where a fair judge must not move either way (identity).

Position is measured on every condition asked in both orders: per instance, the mean over conditions
of P(better | better shown first) - P(better | better shown second); both slots can be favoured, so
its test is two-sided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from judgeaudit.biases.probes import uses_size_free_placebo
from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import (
    CONTROL,
    CUE_ON_BETTER,
    CUE_ON_WORSE,
    EDIT_ON_BETTER,
    EDIT_ON_WORSE,
    PLACEBO_ON_BETTER,
    PLACEBO_ON_WORSE,
    REPEAT,
    stable_hash,
)
from judgeaudit.stats.cells import OUTCOME_SCORE, SCORED, SHARED
from judgeaudit.stats.inference import benjamini_hochberg, mean_ci, sign_flip_p
from judgeaudit.stats.records import (
    BiasResult,
    CategoryResult,
    Effect,
    FlipExample,
    NoiseFloor,
    Rate,
)
from judgeaudit.stats.units import Units
from judgeaudit.stats.wide import ORDERS, Cells, InstanceTable

ALTERNATIVE = {"toward": "greater", "away": "less", "either": "two-sided"}
MIN_MISSING_GAP = 0.02
"""A gap in unscored shares smaller than this never makes a bias INCONCLUSIVE, however significant."""
CUE_RANGE = (-2.0, 2.0)
"""The cue-specific pull is a difference of two swings in [-1, 1]."""
SWING_RANGE = (-1.0, 1.0)
EXAMPLES_KEPT = 20


@dataclass(frozen=True)
class Settings:
    """What the statistics depend on besides the answers: none of it changes an answer."""

    alpha: float = 0.05
    min_instances: int = 10
    seed: int = 0
    units: Units = field(default_factory=Units)
    """The unit of every interval and test: the instance, or its prompt group (``stats.units``)."""

    def seed_for(self, *parts: str) -> int:
        """A seed for one resampling, fixed by the run seed and what is resampled."""
        return int(stable_hash([self.seed, *parts], length=8), 16)


def _accuracy(table: InstanceTable, condition: str, units: Units) -> Rate:
    correct = sum((table["outcome", condition, order] == "better").astype(int) for order in ORDERS)
    return _rate(units, table.ids, correct, 2)


def _rate(units: Units, ids: np.ndarray, events: np.ndarray, trials: int) -> Rate:
    """``events`` of ``trials`` probes per instance, pooled with an interval clustered by unit."""
    return units.rate(ids, events, np.full(len(ids), trials))


def _outcome_score(outcomes: np.ndarray) -> np.ndarray:
    """OUTCOME_SCORE of each outcome: 1 better, 0.5 tie, 0 worse."""
    return (outcomes == "better") * OUTCOME_SCORE["better"] + (outcomes == "tie") * OUTCOME_SCORE["tie"]


def missing_gap(cells: Cells, baseline: np.ndarray, treated: np.ndarray, alpha: float, units: Units) -> str:
    """Why the unscored probes differ between two like groups of rows ('' when they do not).

    Leaving unscored probes out is only harmless when they are as common with the cue as without it.
    Per instance, the share of its ``treated`` probes that are unscored minus the share of its
    ``baseline`` probes, tested over instances (two-sided sign flip): a gap of at least
    MIN_MISSING_GAP that the test finds at half of ``alpha`` makes the bias INCONCLUSIVE. (Half: this
    is a guard, not a finding; at the full level, answers unreadable at random in every condition made
    about 5% of biases INCONCLUSIVE, while a cue that makes the judge refuse moves the gap far more.)
    """
    base, cued = cells.states(baseline), cells.states(treated)
    per_instance = cells.share_by_instance(treated, ~cells.scored) - cells.share_by_instance(baseline, ~cells.scored)
    has = ~np.isnan(per_instance)
    per_instance = units.means(cells.instance_ids[has], per_instance[has])
    gap = float(per_instance.mean()) if len(per_instance) else 0.0
    if abs(gap) < MIN_MISSING_GAP or (sign_flip_p(per_instance, "two-sided", 0) or 1.0) >= alpha / 2:
        return ""
    return (
        f"unscored answers differ: {100 * cued.missing_rate:.1f}% with the cue vs {100 * base.missing_rate:.1f}% "
        f"without (unparseable {cued.unparseable} vs {base.unparseable}, failed {cued.failed} vs {base.failed}, "
        f"truncated {cued.truncated} vs {base.truncated})"
    )


def _by_category(table: InstanceTable, flips: np.ndarray, effects: np.ndarray, units: Units) -> dict[str, CategoryResult]:
    categories = table["category", CONTROL, ORDERS[0]]
    result = {}
    for category in sorted(set(categories)):
        members = categories == category
        ids = table.ids[members]
        rate = _rate(units, ids, flips[members], 2)
        result[str(category)] = CategoryResult(
            n=rate.n_instances, flips=int(flips[members].sum()), flip_rate=rate.rate, flip_ci=rate.ci,
            effect=float(units.means(ids, effects[members]).mean()),
        )
    return result


def _examples(table: InstanceTable, condition: str, baseline: str, limit: int = EXAMPLES_KEPT) -> list[FlipExample]:
    examples = []
    for order in ORDERS:
        before, after = table["outcome", baseline, order], table["outcome", condition, order]
        for row in np.flatnonzero(before != after)[:limit]:
            examples.append(FlipExample(str(table.ids[row]), condition, order, baseline, order, before[row], after[row]))
    return examples[:limit]


def _noise_floor(
    table: InstanceTable, placebo: tuple[str, str], edit_pull: Effect, repeat: tuple[Rate, Effect] | None, units: Units
) -> NoiseFloor:
    """How often the placebo (either placement) changes the winner of the unchanged pair, and its pull."""
    kept = table.take(table.scored(CONTROL) & table.scored(placebo[0]) & table.scored(placebo[1]))
    if not len(kept):
        return NoiseFloor(None, None, *(repeat or (None, None)))
    flips = kept.flips(placebo[0], CONTROL) + kept.flips(placebo[1], CONTROL)
    return NoiseFloor(_rate(units, kept.ids, flips, 4), edit_pull, *(repeat or (None, None)))


def repeat_noise(cells: Cells, settings: Settings) -> tuple[Rate, Effect] | None:
    """How often asking the unchanged pair again changes the winner, and how far the preference moves."""
    table = cells.table(SHARED, (CONTROL, REPEAT))
    table = table.take(table.scored(CONTROL) & table.scored(REPEAT))
    if not len(table):
        return None
    units = settings.units
    shift = np.abs(table.mean_pref(CONTROL, "pref") - table.mean_pref(REPEAT, "pref"))
    return _rate(units, table.ids, table.flips(REPEAT, CONTROL), 2), mean_ci(units.means(table.ids, shift), (0, 1), settings.seed_for("repeat"))


def _pulls_in_words(name: str, result: BiasResult) -> str:
    """The three pulls in plain words: total, what the placebo gets, what the cue itself does."""
    total, edit = result.total_pull, result.edit_pull
    if total is None or edit is None or total.mean is None or edit.mean is None or result.effect is None:
        return ""
    placebo = {"size-free edit": "an edit that changes no size", "neutral note": "a neutral note",
               "neutral header": "a neutral header", "paraphrase": "a plain paraphrase"}.get(result.placebo_kind, "neutral text of that size and place")
    return f"{total.mean:+.3f} toward the {name} cue, of which {edit.mean:+.3f} {placebo} gets; the cue itself {result.effect:+.3f}."


def _sentence(result: BiasResult) -> str:
    """The finding of a content bias in words, about its cue-specific pull."""
    name, status, expected = result.name, result.status, result.expected
    low, high = result.effect_ci
    if result.effect is None or low is None or high is None:
        return ""
    pulls = _pulls_in_words(name, result)
    interval = f"{result.effect:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    if status == "BIASED" and result.effect > 0:
        verdict = f"The judge moves toward the {name} cue itself, beyond what a placebo edit does: {interval}."
    elif status == "BIASED":
        verdict = f"The judge moves away from the {name} cue itself, beyond what a placebo edit does: {interval}."
    elif expected == "away" and low > 0:
        verdict = f"The judge leans toward {name} rather than away from it: {interval}; the test looks for a penalty, so this is not flagged."
    elif expected == "away":
        verdict = f"No penalty for the {name} cue itself detected: {interval}."
    elif expected == "either":
        verdict = f"No move toward or away from the {name} cue itself detected: {interval}."
    elif high < 0:
        verdict = f"The judge penalizes the {name} cue itself: {interval}. That is not a pull toward the cue (the certificate bounds both directions)."
    else:
        verdict = f"No pull toward the {name} cue itself detected: {interval}; a pull above {high:+.3f} is unlikely."
    return f"{verdict} {pulls}".strip()


def _placebo_of(spec: BiasSpec, table: InstanceTable) -> tuple[InstanceTable, str]:
    """The table with the placebo conditions filled from the shared size-free edit where the bias has
    none of its own (its cue is size, or adds no text on that instance), and what the placebo is."""
    if uses_size_free_placebo(spec):
        kind = "size-free edit"
    else:
        kind = {"prompt_note": "neutral note", "attribution": "neutral header"}.get(spec.apply_to, "same size and place")
    return table.substitute(PLACEBO_ON_WORSE, EDIT_ON_WORSE).substitute(PLACEBO_ON_BETTER, EDIT_ON_BETTER), kind


def _soft(
    table: InstanceTable, cells: Cells, rows: np.ndarray, seed: int, alternative: str, units: Units
) -> tuple[Effect | None, float | None]:
    """The cue-specific pull on the judge's own probabilities, where every probe of the bias gives one."""
    if _pref_source(cells, rows) != "logits":
        return None, None
    cue = units.means(table.ids, (table.mean_pref(CUE_ON_BETTER, "pref") - table.mean_pref(CUE_ON_WORSE, "pref")) - (
        table.mean_pref(PLACEBO_ON_BETTER, "pref") - table.mean_pref(PLACEBO_ON_WORSE, "pref")
    ))
    return mean_ci(cue, CUE_RANGE, seed), sign_flip_p(cue, alternative, seed)


def content_bias(cells: Cells, spec: BiasSpec, settings: Settings, repeat: tuple[Rate, Effect] | None) -> BiasResult:
    """The three pulls (total, edit/size, cue-specific), flips, accuracy and noise floor of one template bias."""
    conditions = (CONTROL, CUE_ON_WORSE, CUE_ON_BETTER, PLACEBO_ON_WORSE, PLACEBO_ON_BETTER, EDIT_ON_WORSE, EDIT_ON_BETTER)
    table, placebo_kind = _placebo_of(spec, cells.table(spec.name, conditions))
    placebos = (PLACEBO_ON_WORSE, PLACEBO_ON_BETTER)
    scored = table.take(np.logical_and.reduce([table.scored(c) for c in (CONTROL, CUE_ON_WORSE, CUE_ON_BETTER, *placebos)]))
    y_control, y_worse, y_better, p_worse, p_better = (scored.mean_pref(c) for c in (CONTROL, CUE_ON_WORSE, CUE_ON_BETTER, *placebos))
    total, edit = y_better - y_worse, p_better - p_worse
    effects = total - edit
    units, ids = settings.units, scored.ids
    unit_effects = units.means(ids, effects)
    seed = settings.seed_for(spec.name)
    alternative = ALTERNATIVE[spec.expected]
    effect = mean_ci(unit_effects, CUE_RANGE, seed)
    total_pull, edit_pull = mean_ci(units.means(ids, total), SWING_RANGE, seed + 1), mean_ci(units.means(ids, edit), SWING_RANGE, seed + 2)
    pull_worse = mean_ci(units.means(ids, y_control - y_worse), SWING_RANGE, seed + 3)
    pull_better = mean_ci(units.means(ids, y_better - y_control), SWING_RANGE, seed + 4)
    flips = scored.flips(CUE_ON_WORSE, CONTROL) if len(scored) else np.zeros(0, dtype=int)
    flip_rate = _rate(units, ids, flips, 2)
    toward = away = 0
    for condition, sign in ((CUE_ON_WORSE, -1), (CUE_ON_BETTER, 1)):
        for order in ORDERS:
            moved = _outcome_score(scored["outcome", condition, order]) - _outcome_score(scored["outcome", CONTROL, order])
            toward += int(np.count_nonzero(sign * moved > 0))
            away += int(np.count_nonzero(sign * moved < 0))

    mine = cells.mask("bias", spec.name)
    base_rows = cells.mask("bias", SHARED) & cells.mask("condition", CONTROL)
    cue_rows = mine & cells.mask("condition", CUE_ON_WORSE, CUE_ON_BETTER)
    placebo_rows = (mine & cells.mask("condition", *placebos)) | (
        cells.mask("bias", SHARED) & cells.mask("condition", EDIT_ON_WORSE, EDIT_ON_BETTER) if placebo_kind == "size-free edit" else False
    )
    cue_states = cells.states(cue_rows)
    soft_effect, soft_p = _soft(scored, cells, cue_rows | placebo_rows, seed + 5, alternative, units)
    accuracy_control, accuracy_cued = (_accuracy(scored, c, units) for c in (CONTROL, CUE_ON_WORSE))
    return _decide(
        spec,
        settings,
        effects=unit_effects,
        effect=effect,
        reason=missing_gap(cells, placebo_rows, cue_rows, settings.alpha, units),
        fields=dict(
            n_instances_total=units.count(table.ids),
            instance_effects=units.keyed(ids, effects),
            pull_on_worse=pull_worse,
            pull_on_better=pull_better,
            total_pull=total_pull,
            edit_pull=edit_pull,
            placebo_kind=placebo_kind,
            effect_range=CUE_RANGE,
            soft_effect=soft_effect,
            soft_p=soft_p,
            flips=int(flips.sum()),
            flip_rate=flip_rate.rate,
            flip_ci=flip_rate.ci,
            flip_rate_on_better=_rate(units, ids, scored.flips(CUE_ON_BETTER, CONTROL), 2) if len(scored) else None,
            toward_bias=toward,
            away_from_bias=away,
            accuracy_control=accuracy_control.rate,
            accuracy_control_ci=accuracy_control.ci,
            accuracy_perturbed=accuracy_cued.rate,
            accuracy_perturbed_ci=accuracy_cued.ci,
            pref_shift=pull_worse.mean,
            pref_shift_ci=pull_worse.ci,
            pref_shift_p=sign_flip_p(units.means(ids, y_control - y_worse), "two-sided", seed + 3),
            pref_source=_pref_source(cells, base_rows | cue_rows),
            noise_floor=_noise_floor(table, placebos, edit_pull, repeat, units),
            answers={"control": cells.states(base_rows), "cue": cue_states, "placebo": cells.states(placebo_rows)},
            n_unparseable=cue_states.unparseable,
            n_failed=cue_states.failed,
            n_truncated=cue_states.truncated,
            by_category=_by_category(scored, flips, effects, units) if len(scored) else {},
            flipped_examples=_examples(scored, CUE_ON_WORSE, CONTROL) + _examples(scored, CUE_ON_BETTER, CONTROL),
        ),
        alternative=alternative,
    )


def position_bias(cells: Cells, spec: BiasSpec, settings: Settings, repeat: tuple[Rate, Effect] | None) -> BiasResult:
    """Primacy or recency over every condition asked in both orders; consistency on the control."""
    frame = cells.frame
    keyed = frame.assign(condition=frame["bias"] + "/" + frame["condition"])
    pairs = keyed.set_index(["instance_id", "condition", "order"])[["state", "outcome", "verdict"]].unstack("order")
    both = (pairs["state", ORDERS[0]] == SCORED) & (pairs["state", ORDERS[1]] == SCORED)
    pairs = pairs[both]
    per_pair = pd.DataFrame(
        {
            "shift": pairs["verdict", ORDERS[0]].astype(float) - pairs["verdict", ORDERS[1]].astype(float),
            "flip": (pairs["outcome", ORDERS[0]] != pairs["outcome", ORDERS[1]]).astype(int),
        }
    )
    by_instance = per_pair.groupby(level="instance_id").agg(effect=("shift", "mean"), flips=("flip", "sum"), pairs=("flip", "size"))
    units = settings.units
    unit_effects = units.means(by_instance.index, by_instance["effect"])
    seed = settings.seed_for(spec.name)
    effect = mean_ci(unit_effects, (-1, 1), seed)
    flip_rate = units.rate(by_instance.index, by_instance["flips"], by_instance["pairs"])

    control = cells.table(SHARED, (CONTROL,))
    control = control.take(control.scored(CONTROL))
    first, second = control["outcome", CONTROL, ORDERS[0]], control["outcome", CONTROL, ORDERS[1]]
    control_shift = control["verdict", CONTROL, ORDERS[0]] - control["verdict", CONTROL, ORDERS[1]]
    control_shift = units.means(control.ids, control_shift)
    pull = mean_ci(control_shift, (-1, 1), seed + 1)
    accuracy_first = _rate(units, control.ids, (first == "better").astype(int), 1)
    accuracy_second = _rate(units, control.ids, (second == "better").astype(int), 1)
    first_rows, second_rows = cells.mask("order", ORDERS[0]), cells.mask("order", ORDERS[1])
    first_states, second_states = cells.states(first_rows), cells.states(second_rows)
    categories = frame.drop_duplicates("instance_id").set_index("instance_id")["category"]
    instance_flips = by_instance["flips"]
    return _decide(
        spec,
        settings,
        effects=unit_effects,
        effect=effect,
        reason=missing_gap(cells, first_rows, second_rows, settings.alpha, units),
        fields=dict(
            n_instances_total=units.count(cells.instance_ids),
            instance_effects=units.keyed(by_instance.index, by_instance["effect"]),
            pull_on_worse=pull,
            pull_on_better=None,
            flips=int(instance_flips.sum()),
            flip_rate=flip_rate.rate,
            flip_ci=flip_rate.ci,
            flip_rate_on_better=None,
            toward_bias=int(np.count_nonzero((first == "better") & (second != "better"))),
            away_from_bias=int(np.count_nonzero((first != "better") & (second == "better"))),
            accuracy_control=accuracy_first.rate,
            accuracy_control_ci=accuracy_first.ci,
            accuracy_perturbed=accuracy_second.rate,
            accuracy_perturbed_ci=accuracy_second.ci,
            pref_shift=pull.mean,
            pref_shift_ci=pull.ci,
            pref_shift_p=sign_flip_p(control_shift, "two-sided", seed + 3),
            pref_source=_pref_source(cells, np.ones(len(frame), dtype=bool)),
            noise_floor=NoiseFloor(None, None, *(repeat or (None, None))),
            answers={"better_first": first_states, "better_second": second_states},
            n_unparseable=first_states.unparseable + second_states.unparseable,
            n_failed=first_states.failed + second_states.failed,
            n_truncated=first_states.truncated + second_states.truncated,
            position_consistency=_rate(units, control.ids, (first == second).astype(int), 1) if len(control) else None,
            by_category=_position_by_category(by_instance, categories.reindex(by_instance.index), units),
            flipped_examples=_order_flips(control),
        ),
        alternative="two-sided",
    )


def _order_flips(control: InstanceTable) -> list[FlipExample]:
    """The first EXAMPLES_KEPT instances whose unchanged pair has another winner when the order is swapped."""
    first, second = control["outcome", CONTROL, ORDERS[0]], control["outcome", CONTROL, ORDERS[1]]
    return [
        FlipExample(str(control.ids[row]), CONTROL, ORDERS[1], CONTROL, ORDERS[0], first[row], second[row])
        for row in np.flatnonzero(first != second)[:EXAMPLES_KEPT]
    ]


def _position_by_category(by_instance: pd.DataFrame, categories: pd.Series, units: Units) -> dict[str, CategoryResult]:
    result = {}
    for category in sorted(categories.unique()):
        members = by_instance[categories == category]
        rate = units.rate(members.index, members["flips"], members["pairs"])
        result[str(category)] = CategoryResult(
            n=rate.n_instances, flips=int(members["flips"].sum()), flip_rate=rate.rate, flip_ci=rate.ci,
            effect=float(units.means(members.index, members["effect"]).mean()),
        )
    return result


def _pref_source(cells: Cells, rows: np.ndarray) -> str:
    scored = rows & cells.scored
    if not scored.any() or not cells.soft[scored].any():
        return "verdicts"
    return "logits" if cells.soft[scored].all() else "mixed"


def _decide(
    spec: BiasSpec,
    settings: Settings,
    effects: np.ndarray | pd.Series,
    effect: Effect,
    reason: str,
    fields: dict,
    alternative: str,
) -> BiasResult:
    """Status before the false-discovery control (which ``finalize`` applies across biases)."""
    n = len(effects)
    if n < settings.min_instances:
        too_few = f"only {n} assessable {settings.units.noun} (at least {settings.min_instances} needed)"
        reason = f"{too_few}; {reason}" if reason else too_few
    # The effect's interval inverts this very test (same values, same seed): it excludes 0 exactly when
    # the two-sided test rejects at 5%.
    p_value = sign_flip_p(np.asarray(effects, dtype=float), alternative, settings.seed_for(spec.name)) if n >= settings.min_instances else None
    if spec.method == "swap":
        direction = "first" if (effect.mean or 0) > 0 else "second" if (effect.mean or 0) < 0 else "none"
    else:
        direction = "toward" if (effect.mean or 0) > 0 else "away" if (effect.mean or 0) < 0 else "none"
    return BiasResult(
        name=spec.name,
        dimension=spec.dimension,
        method=spec.method,
        description=spec.description,
        status="INCONCLUSIVE" if reason else "NOT_DETECTED",
        reason=reason,
        finding="",
        direction=direction,
        n=n,
        n_instances=n,
        effect=effect.mean,
        effect_ci=effect.ci,
        p_value=p_value,
        q_value=None,
        flagged=False,
        expected="either" if spec.method == "swap" else spec.expected,
        **fields,
    )


def finalize(results: list[BiasResult], alpha: float) -> None:
    """Benjamini-Hochberg across the tested biases; BIASED needs q < alpha; write each finding."""
    tested = [r for r in results if r.p_value is not None]
    for result, q in zip(tested, benjamini_hochberg([r.p_value for r in tested if r.p_value is not None]), strict=True):
        result.q_value = q
        if q < alpha and result.status != "INCONCLUSIVE":
            result.status = "BIASED"
            result.flagged = True
    for result in results:
        effect = Effect(result.effect, result.effect_ci, result.n)
        if result.status == "INCONCLUSIVE":
            result.finding = f"Inconclusive: {result.reason}."
        elif result.method == "swap":
            result.finding = _position_sentence(result, effect)
        else:
            result.finding = _sentence(result)


def _position_sentence(result: BiasResult, effect: Effect) -> str:
    low, high = effect.ci
    if effect.mean is None or low is None:
        return ""
    interval = f"{effect.mean:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    if result.status == "BIASED":
        slot = "first" if effect.mean > 0 else "second"
        return f"The judge favours the response shown {slot}: its preference for the better response moves by {interval} between the two orders."
    return f"No position preference detected: {interval}."
