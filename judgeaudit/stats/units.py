"""The unit of inference: the instance, or the prompt group where one prompt gave several instances.

RewardBench 2 and RM-Bench (and any data with a ``group`` tag) give several pairs per prompt; those pairs
share a prompt and a response, so they are not independent observations. Every interval and test then
takes the group as the unit:
- a mean of per-instance values is the mean over units of each unit's mean;
- a pooled rate sums each unit's events and trials (the rate itself is unchanged; its interval is
  clustered by unit, with CR2's small-sample correction for units of unequal size);
- a bootstrap draws units and keeps all of each one's instances.
Without groups every unit is one instance and nothing changes (the fast path returns its input).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from judgeaudit.stats.inference import clustered_rate
from judgeaudit.stats.records import Grouping, Rate

GROUP_TAG = "group"
GROUP_PREFIX = "group:"
"""A grouped unit's key: the prefix and the group's id, so that it never equals an instance's id."""


def unit_key(instance_id: str, tags: Mapping[str, Any]) -> str:
    """The key of the unit an instance belongs to: its group's, else its own id."""
    group = tags.get(GROUP_TAG)
    missing = group is None or group == "" or (isinstance(group, float) and math.isnan(group))
    return instance_id if missing else f"{GROUP_PREFIX}{group}"


@dataclass(frozen=True)
class Units:
    """Which instances form one unit (``groups``: instance id -> unit key, grouped instances only)."""

    groups: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_tags(cls, tags: Iterable[tuple[str, Mapping[str, Any]]]) -> Units:
        """The units of (instance id, tags) pairs; an instance without a group tag, or alone in its group,
        is its own unit (so that data whose groups all hold one pair is treated as ungrouped)."""
        keys = {instance_id: unit_key(instance_id, each) for instance_id, each in tags}
        sizes = Counter(keys.values())
        return cls({instance_id: key for instance_id, key in keys.items() if key != instance_id and sizes[key] > 1})

    @property
    def grouped(self) -> bool:
        """Whether any unit holds an instance under a group's key."""
        return bool(self.groups)

    @property
    def noun(self) -> str:
        """What the statistics count: instances, or prompt groups."""
        return "prompt groups" if self.grouped else "instances"

    def grouping(self, ids: Iterable[str]) -> Grouping | None:
        """How the ``ids`` fall into units; None where every one is its own."""
        ids = list(ids)
        if not self.grouped:
            return None
        codes, keys = self.codes(ids)
        sizes = np.bincount(codes, minlength=len(keys))
        groups = sizes[np.char.startswith(keys.astype(str), GROUP_PREFIX)]
        return Grouping(len(groups), int(groups.sum()), len(keys), int(sizes.max()))

    def key(self, instance_id: str) -> str:
        """The key of the instance's unit."""
        return self.groups.get(instance_id, instance_id)

    def codes(self, ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per id, its unit's position, and the units' keys in order of first appearance."""
        codes, keys = pd.factorize(pd.Series([self.key(str(i)) for i in ids], dtype=object), sort=False)
        return codes.astype(int), np.asarray(keys, dtype=object)

    def count(self, ids: Iterable[str]) -> int:
        """How many units the ids belong to."""
        return len(self.codes(ids)[1]) if self.grouped else len(list(ids))

    def rate(self, ids: Iterable[str], events: ArrayLike, trials: ArrayLike) -> Rate:
        """A share pooled over the instances ``ids`` (``events`` of ``trials`` each), its interval clustered
        by unit (CR2 with small-sample degrees of freedom where units are prompt groups)."""
        unit_events, unit_trials = self.sums(ids, events, trials)
        return clustered_rate(unit_events, unit_trials, small_sample=self.grouped)

    def means(self, ids: Iterable[str], values: ArrayLike) -> np.ndarray:
        """Per unit (in order of first appearance), the mean of its instances' ``values``."""
        x = np.asarray(values, dtype=float)
        if not self.grouped:
            return x
        codes, keys = self.codes(ids)
        return np.bincount(codes, weights=x, minlength=len(keys)) / np.bincount(codes, minlength=len(keys))

    def sums(self, ids: Iterable[str], *columns: ArrayLike) -> list[np.ndarray]:
        """Per unit (in order of first appearance), the sum of each column over its instances."""
        arrays = [np.asarray(column, dtype=float) for column in columns]
        if not self.grouped:
            return arrays
        codes, keys = self.codes(ids)
        return [np.bincount(codes, weights=array, minlength=len(keys)) for array in arrays]

    def keyed(self, ids: Iterable[str], values: ArrayLike) -> dict[str, float]:
        """Per unit key, the mean of its instances' values (``BiasResult.instance_effects``)."""
        ids = [str(i) for i in ids]
        x = np.asarray(values, dtype=float)
        if not self.grouped:
            return {instance_id: round(float(value), 12) for instance_id, value in zip(ids, x, strict=True)}
        _, keys = self.codes(ids)
        return {str(key): round(float(value), 12) for key, value in zip(keys, self.means(ids, x), strict=True)}


EACH_INSTANCE = Units()
"""No groups: every instance is its own unit."""
