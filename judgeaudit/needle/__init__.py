"""The needle-in-a-haystack test: where an error sits in a long response, and how long the response is."""

from judgeaudit.needle.material import LongformItem, Modification, bundled_longform, load_longform
from judgeaudit.needle.placement import LENGTH_BUCKETS, POSITION_BINS, NeedleTrial, balanced_design, candidates

__all__ = [
    "LENGTH_BUCKETS", "POSITION_BINS", "LongformItem", "Modification", "NeedleTrial", "balanced_design",
    "bundled_longform", "candidates", "load_longform",
]
