"""Per-bias effects, one value per instance, and the decision BIASED / NOT DETECTED / INCONCLUSIVE.

For a content cue, instance i has its preference for the better response averaged over the two
orders in each condition: y_control, y_worse (cue on the worse response), y_better (cue on the better
one). The **effect** is y_better - y_worse, the swing of the preference toward whichever response
carries the cue: 0 when the cue does not matter, 1 when the cue alone decides. A judge that any edit
disturbs without direction moves both terms alike, so its effect is zero in expectation. The pulls
y_control - y_worse and y_better - y_control show each placement on its own. The test looks the way
the bias file expects a biased judge to move: one-sided toward the cue (a cue the judge penalizes is
then reported, never flagged), one-sided away from it (a cue a biased judge penalizes, such as an
angry tone), or two-sided where a fair judge must not move either way (identity).

Position is measured on every condition asked in both orders: per instance, the mean over conditions
of P(better | better shown first) - P(better | better shown second); both slots can be favoured, so
its test is two-sided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from judgeaudit.biases.spec import BiasSpec
from judgeaudit.schema import CONTROL, CUE_ON_BETTER, CUE_ON_WORSE, PLACEBO, REPEAT, stable_hash
from judgeaudit.stats.cells import OUTCOME_SCORE, SCORED, SHARED
from judgeaudit.stats.inference import benjamini_hochberg, clustered_rate, mcnemar_exact, mean_ci, sign_flip_p
from judgeaudit.stats.records import (
    AnswerStates,
    BiasResult,
    CategoryResult,
    Effect,
    FlipExample,
    NoiseFloor,
    Rate,
)

ORDERS = ("chosen_first", "chosen_second")
ALTERNATIVE = {"toward": "greater", "away": "less", "either": "two-sided"}
MAX_MISSING_GAP = 0.05  # a larger gap in unscored shares between conditions makes a bias INCONCLUSIVE
EXAMPLES_KEPT = 20


@dataclass(frozen=True)
class Settings:
    """What the statistics depend on besides the answers: none of it changes an answer."""

    alpha: float = 0.05
    min_instances: int = 10
    seed: int = 0

    def seed_for(self, *parts: str) -> int:
        """A seed for one resampling, fixed by the run seed and what is resampled."""
        return int(stable_hash([self.seed, *parts], length=8), 16)


def wide(frame: pd.DataFrame, bias: str, conditions: tuple[str, ...]) -> pd.DataFrame:
    """One row per instance; columns (field, condition, order) for the bias's and the shared conditions."""
    rows = frame[frame["bias"].isin((bias, SHARED)) & frame["condition"].isin(conditions)]
    fields = ["state", "outcome", "pref", "category"]
    table = rows.set_index(["instance_id", "condition", "order"])[fields].unstack(["condition", "order"])
    # Every column, even for a condition no instance has (a cue that applies to none of them).
    return table.reindex(columns=pd.MultiIndex.from_product([fields, conditions, ORDERS]))


def _scored(table: pd.DataFrame, condition: str) -> pd.Series:
    """Instances whose probes of ``condition`` were scored in both orders."""
    if ("state", condition, ORDERS[0]) not in table or ("state", condition, ORDERS[1]) not in table:
        return pd.Series(False, index=table.index)
    return (table["state", condition, ORDERS[0]] == SCORED) & (table["state", condition, ORDERS[1]] == SCORED)


def _mean_pref(table: pd.DataFrame, condition: str) -> pd.Series:
    return (table["pref", condition, ORDERS[0]].astype(float) + table["pref", condition, ORDERS[1]].astype(float)) / 2


def _flips(table: pd.DataFrame, condition: str, baseline: str = CONTROL) -> pd.Series:
    """Per instance, in how many of the two orders the winner differs from the baseline's."""
    return sum(
        (table["outcome", condition, order] != table["outcome", baseline, order]).astype(int) for order in ORDERS
    )


def _accuracy(table: pd.DataFrame, condition: str) -> Rate:
    correct = sum((table["outcome", condition, order] == "better").astype(int) for order in ORDERS)
    return clustered_rate(correct, [2] * len(table))


def _states(frame: pd.DataFrame) -> AnswerStates:
    counts = frame["state"].value_counts()
    return AnswerStates(
        probes=len(frame),
        scored=int(counts.get(SCORED, 0)),
        unparseable=int(counts.get("unparseable", 0)),
        failed=int(counts.get("failed", 0)),
        truncated=int(counts.get("truncated", 0)),
    )


def missing_gap(frame: pd.DataFrame, baseline: pd.Series, treated: pd.Series, alpha: float) -> str:
    """Why the unscored probes differ between two groups of conditions ('' when they do not).

    Leaving unscored probes out is only harmless when they are as common with the cue as without it;
    the check is the gap in shares and an exact McNemar test over instances.
    """
    base, cued = _states(frame[baseline]), _states(frame[treated])
    gap = cued.missing_rate - base.missing_rate
    by_instance = frame.assign(base=baseline, cued=treated, bad=frame["state"] != SCORED)
    bad_base = by_instance[by_instance["base"]].groupby("instance_id")["bad"].any()
    bad_cued = by_instance[by_instance["cued"]].groupby("instance_id")["bad"].any()
    joined = pd.concat([bad_base, bad_cued], axis=1, keys=["base", "cued"]).fillna(False)
    only_cued = int((joined["cued"] & ~joined["base"]).sum())
    only_base = int((joined["base"] & ~joined["cued"]).sum())
    if abs(gap) < MAX_MISSING_GAP and mcnemar_exact(only_cued, only_base) >= alpha:
        return ""
    return (
        f"unscored answers differ: {100 * cued.missing_rate:.1f}% with the cue vs {100 * base.missing_rate:.1f}% "
        f"without (unparseable {cued.unparseable} vs {base.unparseable}, failed {cued.failed} vs {base.failed}, "
        f"truncated {cued.truncated} vs {base.truncated})"
    )


def _by_category(table: pd.DataFrame, flips: pd.Series, effects: pd.Series) -> dict[str, CategoryResult]:
    categories = table["category", CONTROL, ORDERS[0]]
    result = {}
    for category in sorted(categories.unique()):
        members = categories == category
        rate = clustered_rate(flips[members], [2] * int(members.sum()))
        result[str(category)] = CategoryResult(
            n=int(members.sum()),
            flips=int(flips[members].sum()),
            flip_rate=rate.rate,
            flip_ci=rate.ci,
            effect=float(effects[members].mean()),
        )
    return result


def _examples(table: pd.DataFrame, condition: str, baseline: str, limit: int = EXAMPLES_KEPT) -> list[FlipExample]:
    examples = []
    for order in ORDERS:
        before, after = table["outcome", baseline, order], table["outcome", condition, order]
        changed = before != after
        for instance_id in table.index[changed][:limit]:
            examples.append(FlipExample(str(instance_id), condition, order, baseline, order, before[instance_id], after[instance_id]))
    return examples[:limit]


def _noise_floor(table: pd.DataFrame, settings: Settings, name: str, repeat: tuple[Rate, Effect] | None) -> NoiseFloor:
    placebo_rows = table[_scored(table, CONTROL) & _scored(table, PLACEBO)]
    placebo_rate = clustered_rate(_flips(placebo_rows, PLACEBO), [2] * len(placebo_rows)) if len(placebo_rows) else None
    placebo_shift = (
        mean_ci(_mean_pref(placebo_rows, CONTROL) - _mean_pref(placebo_rows, PLACEBO), (-1, 1), settings.seed_for(name, "placebo"))
        if len(placebo_rows)
        else None
    )
    return NoiseFloor(placebo_rate, placebo_shift, *(repeat or (None, None)))


def repeat_noise(frame: pd.DataFrame, settings: Settings) -> tuple[Rate, Effect] | None:
    """How often asking the unchanged pair again changes the winner, and how far the preference moves."""
    table = wide(frame, SHARED, (CONTROL, REPEAT))
    table = table[_scored(table, CONTROL) & _scored(table, REPEAT)]
    if table.empty:
        return None
    shift = mean_ci((_mean_pref(table, CONTROL) - _mean_pref(table, REPEAT)).abs(), (0, 1), settings.seed_for("repeat"))
    return clustered_rate(_flips(table, REPEAT), [2] * len(table)), shift


def _sentence(
    name: str, status: str, expected: str, effect: Effect, pull_worse: Effect, pull_better: Effect | None
) -> str:
    low, high = effect.ci
    if effect.mean is None or low is None or high is None:
        return ""
    interval = f"{effect.mean:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    if status == "BIASED" and effect.mean > 0:
        return f"The judge moves toward the {name} cue: it swings its preference by {interval} toward the response that carries it."
    if status == "BIASED":
        return f"The judge moves away from the {name} cue: it penalizes the response that carries it, {interval}."
    if expected == "away":
        if low > 0:
            return f"The judge leans toward {name} rather than away from it: {interval}; the test looks for a penalty, so this is not flagged."
        return f"No penalty for {name} detected: {interval}; a swing below {low:+.3f} is unlikely."
    if expected == "either":
        return f"No move toward or away from {name} detected: {interval}."
    if high < 0:
        helped = " and is more accurate when the cue is on the worse response" if (pull_worse.ci[1] or 0) < 0 else ""
        return f"The judge moves away from {name}: it penalizes the response that carries the cue, {interval}{helped}. That is not a bias toward the cue."
    if pull_better is not None and (pull_better.ci[0] or 0) > 0:
        return f"The judge rewards {name} when the cue is on the better response (pull {pull_better.mean:+.3f}), but no swing toward the cue overall: {interval}."
    return f"No pull toward {name} detected: {interval}; a swing above {high:+.3f} is unlikely."


def content_bias(frame: pd.DataFrame, spec: BiasSpec, settings: Settings, repeat: tuple[Rate, Effect] | None) -> BiasResult:
    """Counterbalanced cue effect, pulls, flips, accuracy and noise floor of one template bias."""
    conditions = (CONTROL, CUE_ON_WORSE, CUE_ON_BETTER, PLACEBO)
    table = wide(frame, spec.name, conditions)
    ok = _scored(table, CONTROL) & _scored(table, CUE_ON_WORSE) & _scored(table, CUE_ON_BETTER)
    scored = table[ok]
    y_control, y_worse, y_better = (_mean_pref(scored, c) for c in (CONTROL, CUE_ON_WORSE, CUE_ON_BETTER))
    effects = y_better - y_worse
    seed = settings.seed_for(spec.name)
    effect = mean_ci(effects, (-1, 1), seed)
    pull_worse = mean_ci(y_control - y_worse, (-1, 1), seed + 1)
    pull_better = mean_ci(y_better - y_control, (-1, 1), seed + 2)
    flips = _flips(scored, CUE_ON_WORSE) if len(scored) else pd.Series(dtype=int)
    flip_rate = clustered_rate(flips, [2] * len(scored))
    toward = away = 0
    for condition, sign in ((CUE_ON_WORSE, -1), (CUE_ON_BETTER, 1)):
        for order in ORDERS:
            moved = scored["outcome", condition, order].map(OUTCOME_SCORE) - scored["outcome", CONTROL, order].map(OUTCOME_SCORE)
            toward += int((sign * moved > 0).sum())
            away += int((sign * moved < 0).sum())

    mine = frame[frame["bias"].isin((spec.name, SHARED))]
    base_mask = mine["condition"] == CONTROL
    cue_mask = mine["condition"].isin((CUE_ON_WORSE, CUE_ON_BETTER))
    cue_states = _states(mine[cue_mask])
    accuracy_control, accuracy_cued = (_accuracy(scored, c) for c in (CONTROL, CUE_ON_WORSE))
    return _decide(
        spec,
        settings,
        table=scored,
        effects=effects,
        effect=effect,
        reason=missing_gap(mine, base_mask, cue_mask, settings.alpha),
        fields=dict(
            n_instances_total=len(table),
            instance_effects=_by_instance(effects),
            pull_on_worse=pull_worse,
            pull_on_better=pull_better,
            flips=int(flips.sum()),
            flip_rate=flip_rate.rate,
            flip_ci=flip_rate.ci,
            flip_rate_on_better=clustered_rate(_flips(scored, CUE_ON_BETTER), [2] * len(scored)) if len(scored) else None,
            toward_bias=toward,
            away_from_bias=away,
            accuracy_control=accuracy_control.rate,
            accuracy_control_ci=accuracy_control.ci,
            accuracy_perturbed=accuracy_cued.rate,
            accuracy_perturbed_ci=accuracy_cued.ci,
            pref_shift=pull_worse.mean,
            pref_shift_ci=pull_worse.ci,
            pref_shift_p=sign_flip_p(y_control - y_worse, "two-sided", seed + 3),
            pref_source=_pref_source(mine[base_mask | cue_mask]),
            noise_floor=_noise_floor(table, settings, spec.name, repeat),
            answers={"control": _states(mine[base_mask]), "cue": cue_states},
            n_unparseable=cue_states.unparseable,
            n_failed=cue_states.failed,
            n_truncated=cue_states.truncated,
            by_category=_by_category(scored, flips, effects) if len(scored) else {},
            flipped_examples=_examples(scored, CUE_ON_WORSE, CONTROL) + _examples(scored, CUE_ON_BETTER, CONTROL),
        ),
        alternative=ALTERNATIVE[spec.expected],
    )


def position_bias(frame: pd.DataFrame, spec: BiasSpec, settings: Settings, repeat: tuple[Rate, Effect] | None) -> BiasResult:
    """Primacy or recency over every condition asked in both orders; consistency on the control."""
    keyed = frame.assign(condition=frame["bias"] + "/" + frame["condition"])
    pairs = keyed.set_index(["instance_id", "condition", "order"])[["state", "outcome", "pref"]].unstack("order")
    both = (pairs["state", ORDERS[0]] == SCORED) & (pairs["state", ORDERS[1]] == SCORED)
    pairs = pairs[both]
    per_pair = pd.DataFrame(
        {
            "shift": pairs["pref", ORDERS[0]].astype(float) - pairs["pref", ORDERS[1]].astype(float),
            "flip": (pairs["outcome", ORDERS[0]] != pairs["outcome", ORDERS[1]]).astype(int),
        }
    )
    by_instance = per_pair.groupby(level="instance_id").agg(effect=("shift", "mean"), flips=("flip", "sum"), pairs=("flip", "size"))
    seed = settings.seed_for(spec.name)
    effect = mean_ci(by_instance["effect"], (-1, 1), seed)
    flip_rate = clustered_rate(by_instance["flips"], by_instance["pairs"])

    control = wide(frame, SHARED, (CONTROL,))
    control = control[_scored(control, CONTROL)]
    control_shift = _mean_pref_diff(control)
    pull = mean_ci(control_shift, (-1, 1), seed + 1)
    consistent = (control["outcome", CONTROL, ORDERS[0]] == control["outcome", CONTROL, ORDERS[1]]).astype(int)
    first_right = (control["outcome", CONTROL, ORDERS[0]] == "better").astype(int)
    second_right = (control["outcome", CONTROL, ORDERS[1]] == "better").astype(int)
    accuracy_first = clustered_rate(first_right, [1] * len(control))
    accuracy_second = clustered_rate(second_right, [1] * len(control))
    first_states = _states(frame[frame["order"] == ORDERS[0]])
    second_states = _states(frame[frame["order"] == ORDERS[1]])
    categories = frame.drop_duplicates("instance_id").set_index("instance_id")["category"]
    instance_flips = by_instance["flips"]
    return _decide(
        spec,
        settings,
        table=None,
        effects=by_instance["effect"],
        effect=effect,
        reason=missing_gap(frame, frame["order"] == ORDERS[0], frame["order"] == ORDERS[1], settings.alpha),
        fields=dict(
            n_instances_total=int(frame["instance_id"].nunique()),
            instance_effects=_by_instance(by_instance["effect"]),
            pull_on_worse=pull,
            pull_on_better=None,
            flips=int(instance_flips.sum()),
            flip_rate=flip_rate.rate,
            flip_ci=flip_rate.ci,
            flip_rate_on_better=None,
            toward_bias=int(((control["outcome", CONTROL, ORDERS[0]] == "better") & (control["outcome", CONTROL, ORDERS[1]] != "better")).sum()),
            away_from_bias=int(((control["outcome", CONTROL, ORDERS[0]] != "better") & (control["outcome", CONTROL, ORDERS[1]] == "better")).sum()),
            accuracy_control=accuracy_first.rate,
            accuracy_control_ci=accuracy_first.ci,
            accuracy_perturbed=accuracy_second.rate,
            accuracy_perturbed_ci=accuracy_second.ci,
            pref_shift=pull.mean,
            pref_shift_ci=pull.ci,
            pref_shift_p=sign_flip_p(control_shift, "two-sided", seed + 3),
            pref_source=_pref_source(frame),
            noise_floor=NoiseFloor(None, None, *(repeat or (None, None))),
            answers={"better_first": first_states, "better_second": second_states},
            n_unparseable=first_states.unparseable + second_states.unparseable,
            n_failed=first_states.failed + second_states.failed,
            n_truncated=first_states.truncated + second_states.truncated,
            position_consistency=clustered_rate(consistent, [1] * len(control)) if len(control) else None,
            by_category=_position_by_category(by_instance, categories.reindex(by_instance.index)),
            flipped_examples=_order_flips(control),
        ),
        alternative="two-sided",
    )


def _order_flips(control: pd.DataFrame) -> list[FlipExample]:
    """The first EXAMPLES_KEPT instances whose unchanged pair has another winner when the order is swapped."""
    first, second = ("outcome", CONTROL, ORDERS[0]), ("outcome", CONTROL, ORDERS[1])
    flipped = control[control[first] != control[second]].iloc[:EXAMPLES_KEPT]
    return [
        FlipExample(str(iid), CONTROL, ORDERS[1], CONTROL, ORDERS[0], before, after)
        for iid, before, after in zip(flipped.index, flipped[first], flipped[second], strict=True)
    ]


def _position_by_category(by_instance: pd.DataFrame, categories: pd.Series) -> dict[str, CategoryResult]:
    result = {}
    for category in sorted(categories.unique()):
        members = by_instance[categories == category]
        rate = clustered_rate(members["flips"], members["pairs"])
        result[str(category)] = CategoryResult(
            n=len(members), flips=int(members["flips"].sum()), flip_rate=rate.rate, flip_ci=rate.ci,
            effect=float(members["effect"].mean()),
        )
    return result


def _mean_pref_diff(control: pd.DataFrame) -> pd.Series:
    return control["pref", CONTROL, ORDERS[0]].astype(float) - control["pref", CONTROL, ORDERS[1]].astype(float)


def _by_instance(effects: pd.Series) -> dict[str, float]:
    return {str(instance_id): round(float(value), 12) for instance_id, value in effects.items()}


def _pref_source(frame: pd.DataFrame) -> str:
    scored = frame[frame["state"] == SCORED]
    if scored.empty or not scored["soft"].any():
        return "verdicts"
    return "logits" if scored["soft"].all() else "mixed"


def _decide(
    spec: BiasSpec,
    settings: Settings,
    table: pd.DataFrame | None,
    effects: pd.Series,
    effect: Effect,
    reason: str,
    fields: dict,
    alternative: str,
) -> BiasResult:
    """Status before the false-discovery control (which ``finalize`` applies across biases)."""
    n = len(effects)
    if n < settings.min_instances:
        too_few = f"only {n} assessable instances (at least {settings.min_instances} needed)"
        reason = f"{too_few}; {reason}" if reason else too_few
    p_value = sign_flip_p(np.asarray(effects, dtype=float), alternative, settings.seed_for(spec.name, "test")) if n >= settings.min_instances else None
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
    for result, q in zip(tested, benjamini_hochberg([r.p_value for r in tested]), strict=True):
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
            result.finding = _sentence(
                result.name, result.status, result.expected, effect, result.pull_on_worse, result.pull_on_better
            )


def _position_sentence(result: BiasResult, effect: Effect) -> str:
    low, high = effect.ci
    if effect.mean is None or low is None:
        return ""
    interval = f"{effect.mean:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
    if result.status == "BIASED":
        slot = "first" if effect.mean > 0 else "second"
        return f"The judge favours the response shown {slot}: its preference for the better response moves by {interval} between the two orders."
    return f"No position preference detected: {interval}."
