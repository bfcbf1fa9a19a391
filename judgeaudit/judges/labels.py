"""Reading a verdict or a rating from next-token logits (llama.cpp and transformers judges alike)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp


def label_probability(logits: np.ndarray, labels: dict[str, np.ndarray]) -> tuple[float, float]:
    """P(A) between the labels A and B (each summed over its token ids), and the share of the whole
    next-token distribution the two labels hold."""
    score = {label: float(logsumexp(logits[ids])) for label, ids in labels.items()}
    p_a = 1.0 / (1.0 + math.exp(score["B"] - score["A"]))
    mass = math.exp(float(logsumexp([score["A"], score["B"]]) - logsumexp(logits)))
    return p_a, mass


def expected_digit(logits: np.ndarray, digits: dict[str, np.ndarray]) -> tuple[float, float]:
    """The expected rating over the digit tokens ("1".."9" -> 1..9), and the share they hold."""
    names = list(digits)
    weights = np.array([logsumexp(logits[digits[d]]) for d in names])
    probabilities = np.exp(weights - logsumexp(weights))
    value = float(np.dot(probabilities, np.array([float(d) for d in names])))
    mass = math.exp(float(logsumexp(weights) - logsumexp(logits)))
    return value, mass
