"""The cell frame as numpy columns, and its wide views: one row per instance, a column per
(field, condition, order).

Built once per summary, these let the statistics of every bias read plain arrays instead of
reshaping the frame bias by bias. Instances are in the order of their sorted ids, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from judgeaudit.stats.cells import SCORED, SHARED
from judgeaudit.stats.records import AnswerStates

ORDERS = ("chosen_first", "chosen_second")
FIELDS = ("state", "outcome", "verdict", "pref", "category")
NUMERIC = ("verdict", "pref")
_CODED = ("bias", "condition", "order", "state")


@dataclass(frozen=True)
class InstanceTable:
    """One row per instance (``ids``); ``columns[field, condition, order]`` holds that probe's value,
    None (NaN for ``verdict`` and ``pref``) where the instance has no such probe."""

    ids: np.ndarray
    columns: dict[tuple[str, str, str], np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, column: tuple[str, str, str]) -> np.ndarray:
        return self.columns[column]

    def take(self, keep: np.ndarray) -> InstanceTable:
        """The rows where ``keep`` is true, in order."""
        return InstanceTable(self.ids[keep], {name: values[keep] for name, values in self.columns.items()})

    def scored(self, condition: str) -> np.ndarray:
        """Instances whose probes of ``condition`` were scored in both orders."""
        return (self["state", condition, ORDERS[0]] == SCORED) & (self["state", condition, ORDERS[1]] == SCORED)

    def mean_pref(self, condition: str, scale: str = "verdict") -> np.ndarray:
        """The preference for the better response averaged over the two orders, on the verdict scale
        (1 / 0.5 / 0) or the judge's own (``pref``)."""
        return (self[scale, condition, ORDERS[0]] + self[scale, condition, ORDERS[1]]) / 2

    def present(self, condition: str) -> np.ndarray:
        """Instances that have probes of ``condition`` (scored or not)."""
        return self["state", condition, ORDERS[0]] != None  # noqa: E711 - elementwise on an object array

    def substitute(self, condition: str, stand_in: str) -> InstanceTable:
        """The table with ``condition``'s columns taken from ``stand_in`` where the instance has no probes
        of ``condition``."""
        missing = ~self.present(condition)
        columns = dict(self.columns)
        for name in FIELDS:
            for order in ORDERS:
                columns[name, condition, order] = np.where(missing, self[name, stand_in, order], self[name, condition, order])
        return InstanceTable(self.ids, columns)

    def flips(self, condition: str, baseline: str) -> np.ndarray:
        """Per instance, in how many of the two orders the winner differs from the baseline's."""
        return sum((self["outcome", condition, o] != self["outcome", baseline, o]).astype(int) for o in ORDERS)


class Cells:
    """The run's cell frame (``frame``) as arrays, with its instances coded by sorted id."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.instance_ids, instance = np.unique(frame["instance_id"].to_numpy(dtype=object), return_inverse=True)
        self.instance = instance.reshape(-1)  # the row's position in instance_ids
        self._codes = {name: pd.factorize(frame[name]) for name in _CODED}
        self._masks: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        self.values = {name: frame[name].to_numpy(dtype=object) for name in ("state", "outcome", "category")}
        for name in NUMERIC:
            self.values[name] = frame[name].to_numpy(dtype=float)
        self.soft = frame["soft"].to_numpy(dtype=bool)
        self.scored = self.mask("state", SCORED)

    def mask(self, column: str, *values: str) -> np.ndarray:
        """Rows whose ``column`` (bias, condition, order or state) is one of ``values`` (read-only: kept
        for the next caller that asks the same)."""
        if (column, values) not in self._masks:
            codes, uniques = self._codes[column]
            mask = np.isin(codes, [code for code, value in enumerate(uniques) if value in values])
            mask.flags.writeable = False
            self._masks[column, values] = mask
        return self._masks[column, values]

    def n_instances(self, rows: np.ndarray) -> int:
        """How many distinct instances the ``rows`` belong to."""
        return int(np.count_nonzero(np.bincount(self.instance[rows], minlength=len(self.instance_ids))))

    def share_by_instance(self, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Per instance (all of the run's), the share of its ``rows`` that are in ``mask``; NaN where it has none."""
        size = len(self.instance_ids)
        total = np.bincount(self.instance[rows], minlength=size).astype(float)
        hits = np.bincount(self.instance[rows & mask], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, hits / total, np.nan)

    def states(self, rows: np.ndarray) -> AnswerStates:
        """How the probes of ``rows`` were answered."""

        def count(mask: np.ndarray) -> int:
            return int(np.count_nonzero(rows & mask))

        return AnswerStates(
            probes=int(np.count_nonzero(rows)),
            scored=count(self.scored),
            unparseable=count(self.mask("state", "unparseable")),
            failed=count(self.mask("state", "failed")),
            truncated=count(self.mask("state", "truncated")),
        )

    def table(self, bias: str, conditions: tuple[str, ...]) -> InstanceTable:
        """One row per instance with probes of ``conditions`` for ``bias`` or shared by every bias."""
        rows = np.flatnonzero(self.mask("bias", bias, SHARED) & self.mask("condition", *conditions))
        codes, position = np.unique(self.instance[rows], return_inverse=True)
        position = position.reshape(-1)
        columns = {}
        for condition in conditions:
            for order in ORDERS:
                part = (self.mask("condition", condition) & self.mask("order", order))[rows]
                target, source = position[part], rows[part]
                for name in FIELDS:
                    column = np.full(len(codes), np.nan) if name in NUMERIC else np.full(len(codes), None, dtype=object)
                    column[target] = self.values[name][source]
                    columns[name, condition, order] = column
        return InstanceTable(self.instance_ids[codes], columns)
