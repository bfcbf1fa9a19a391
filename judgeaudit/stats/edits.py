"""What edits that carry no cue do to the judge: judge-level findings, shown once, not per bias.

- **Edit pull**: the shared size-free edit (one break changed, nothing of content or size) placed on
  the better response minus on the worse, per instance on the verdict scale. Negative: the judge
  dislikes whichever response was edited (edit aversion); positive: it prefers it.
- **Size pull**: per instance, the mean pull of the biases' placebos of the cue's size and place (neutral
  text added) minus the edit pull: what added text does beyond any edit. Positive: the judge prefers
  the longer response (a size preference); negative: it penalizes added text.
- **Fragility**: how often the size-free edit changes the winner of the unchanged pair (either placement).

Each pull is tested two-sided over instances (sign flip) with an interval that inverts the test. A
bias's cue-specific pull is already net of these, so a judge that dislikes edits or likes length is
described here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from judgeaudit.schema import CONTROL, EDIT_ON_BETTER, EDIT_ON_WORSE, PLACEBO_ON_BETTER, PLACEBO_ON_WORSE
from judgeaudit.stats.cells import SHARED
from judgeaudit.stats.inference import mean_ci, sign_flip_p
from judgeaudit.stats.records import Effect, Rate
from judgeaudit.stats.units import EACH_INSTANCE, Units
from judgeaudit.stats.wide import Cells

SWING_RANGE = (-1.0, 1.0)
SIZE_RANGE = (-2.0, 2.0)


@dataclass(frozen=True)
class EditFindings:
    """The judge's reaction to edits that carry no cue."""

    edit_pull: Effect
    edit_p: float | None
    fragility: Rate | None
    size_pull: Effect | None
    size_p: float | None
    sized_biases: tuple[str, ...]
    """The biases whose placebos of the cue's size and place the size pull averages."""
    findings: tuple[str, ...]
    """Each significant pull, in words."""


def edit_findings(cells: Cells, sized_biases: list[str], alpha: float, seed: int, units: Units = EACH_INSTANCE) -> EditFindings | None:
    """The judge-level findings of a run; None where no size-free edit was scored in both placements.
    Every interval and test is over ``units``."""
    shared = cells.table(SHARED, (CONTROL, EDIT_ON_WORSE, EDIT_ON_BETTER))
    both = shared.take(shared.scored(EDIT_ON_WORSE) & shared.scored(EDIT_ON_BETTER))
    if not len(both):
        return None
    edit = both.mean_pref(EDIT_ON_BETTER) - both.mean_pref(EDIT_ON_WORSE)
    unit_edit = units.means(both.ids, edit)
    edit_pull, edit_p = mean_ci(unit_edit, SWING_RANGE, seed), sign_flip_p(unit_edit, "two-sided", seed)
    with_control = both.take(both.scored(CONTROL))
    flips = with_control.flips(EDIT_ON_WORSE, CONTROL) + with_control.flips(EDIT_ON_BETTER, CONTROL)
    fragility = units.rate(with_control.ids, flips, np.full(len(flips), 4)) if len(with_control) else None
    size = _size_pulls(cells, sized_biases, both.ids, edit)
    size_pull = size_p = None
    if size is not None:
        unit_size = units.means(*size)
        size_pull, size_p = mean_ci(unit_size, SIZE_RANGE, seed + 1), sign_flip_p(unit_size, "two-sided", seed + 1)
    return EditFindings(
        edit_pull, edit_p, fragility, size_pull, size_p, tuple(sized_biases), _in_words(edit_pull, edit_p, size_pull, size_p, alpha)
    )


def _size_pulls(cells: Cells, sized_biases: list[str], ids: np.ndarray, edit: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per instance of ``ids`` with sized placebos: its id and the mean pull of those placebos minus its edit pull."""
    total, count = np.zeros(len(ids)), np.zeros(len(ids))
    row_of = {instance_id: row for row, instance_id in enumerate(ids)}
    for bias in sized_biases:
        table = cells.table(bias, (PLACEBO_ON_WORSE, PLACEBO_ON_BETTER))
        table = table.take(table.scored(PLACEBO_ON_WORSE) & table.scored(PLACEBO_ON_BETTER))
        pulls = table.mean_pref(PLACEBO_ON_BETTER) - table.mean_pref(PLACEBO_ON_WORSE)
        for instance_id, pull in zip(table.ids, pulls, strict=True):
            if instance_id in row_of:
                total[row_of[instance_id]] += pull
                count[row_of[instance_id]] += 1
    has = count > 0
    return (ids[has], (total[has] / count[has]) - edit[has]) if has.any() else None


def _in_words(edit_pull: Effect, edit_p: float | None, size_pull: Effect | None, size_p: float | None, alpha: float) -> tuple[str, ...]:
    found = []
    if edit_p is not None and edit_p < alpha and edit_pull.mean is not None:
        kind = "edit aversion: it prefers whichever response was not edited" if edit_pull.mean < 0 else "edit preference: it prefers whichever response was edited"
        found.append(f"{kind[0].upper()}{kind[1:]}, even by an edit that changes nothing of content or size ({_interval(edit_pull)}).")
    if size_p is not None and size_p < alpha and size_pull is not None and size_pull.mean is not None:
        kind = "size preference: neutral text added to a response makes it win more often" if size_pull.mean > 0 else "size aversion: neutral text added to a response makes it lose more often"
        found.append(f"{kind[0].upper()}{kind[1:]}, beyond what any edit does ({_interval(size_pull)}).")
    return tuple(found)


def _interval(effect: Effect) -> str:
    return f"{effect.mean:+.3f}, 95% CI {effect.ci[0]:+.3f} to {effect.ci[1]:+.3f}"
