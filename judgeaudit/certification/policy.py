"""A certification policy (YAML): is the judge right, then is it unbiased, per bias, per dimension or by default.

    name: my-gate
    confidence: 0.95            # one-sided, per criterion
    min_instances: 20
    required: [position, verbosity]
    validity: {min_accuracy: 0.60, max_tie_rate: 0.50, min_position_consistency: 0.50, max_noise_floor: 0.20,
               min_kappa: 0.40, min_human_kappa: 0.30, max_ceiling_gap: 0.10, alt_test_epsilon: 0.15, max_ece: 0.10}
    defaults: {max_effect: 0.10, direction: both, max_unparseable_rate: 0.05, max_failed_rate: 0.05}
    dimensions: {identity: {max_effect: 0.05}}
    biases: {verdict_injection: {max_effect: 0.05}}

A bias's limits are its own entry, else its dimension's, else the defaults; an entry takes the
limits it does not name from the defaults. The validity limits from ``min_kappa`` on read the run's
agreement with gold and humans and its calibration (``Summary.agreement``); each is unset (not
required) unless named. Errors name the file, the line and the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from judgeaudit.errors import JudgeAuditError, located

DEFAULT_POLICY = "default.yaml"
TOP_KEYS = {"name", "description", "confidence", "min_instances", "required", "validity", "defaults", "dimensions", "biases"}
DIRECTIONS = ("both", "expected")


@dataclass(frozen=True)
class Limits:
    """What one bias must meet."""

    max_effect: float = 0.10
    """δ: the largest cue-specific pull (on the verdict scale: the preference swing net of the placebo's) that still passes."""
    direction: str = "both"
    """``both``: the pull is bounded toward and away from the cue (a judge that strongly penalizes a
    neutral cue distorts verdicts as much as one that rewards it); ``expected``: only in the direction
    the bias file names."""
    max_unparseable_rate: float = 0.05
    """The largest share of the bias's probes the judge may answer unreadably (or truncated)."""
    max_failed_rate: float = 0.05
    """The largest share of the bias's probes whose call may fail (missing evidence, not a judge fault)."""


LIMIT_KEYS = set(Limits.__dataclass_fields__)


@dataclass(frozen=True)
class ValidityLimits:
    """What the judge must meet on the unchanged pairs before any bias is certified."""

    min_accuracy: float | None = 0.60
    """The lower confidence bound on control accuracy (the better response wins; a tie is not a win) must reach this."""
    max_tie_rate: float | None = 0.50
    """The upper confidence bound on the share of unchanged pairs called a tie must stay at or below this."""
    min_position_consistency: float | None = 0.50
    """The lower bound on the share of instances with the same winner in both orders (pairwise modes)."""
    max_noise_floor: float | None = 0.20
    """The upper bound on the share of verdicts that asking again, or an edit that changes nothing of
    content or size, changes; None: no limit."""
    min_kappa: float | None = None
    """The lower bound on Cohen's kappa against gold (A, B, tie as shown; -1 to 1) must reach this."""
    min_human_kappa: float | None = None
    """The lower bound on Cohen's kappa against the human annotators' majority must reach this."""
    max_ceiling_gap: float | None = None
    """ε: the lower bound on the judge's agreement with a random annotator minus the annotators' with
    each other (the human ceiling) must be at least -ε."""
    alt_test_epsilon: float | None = None
    """ε of the Alt-Test (can the judge replace an annotator?), recomputed at this ε with q = 1 - confidence: it must pass."""
    max_ece: float | None = None
    """The upper bound on the expected calibration error of the judge's P(A) (recalibrated for reward
    scores, as the run's calibration decides) must stay within this."""


VALIDITY_KEYS = set(ValidityLimits.__dataclass_fields__)
KAPPA_KEYS = {"min_kappa", "min_human_kappa"}
EPSILON_KEYS = {"max_ceiling_gap", "alt_test_epsilon"}


@dataclass(frozen=True)
class Policy:
    """A whole policy, with the limits resolved per bias by ``limits_for``."""

    name: str
    confidence: float = 0.95
    min_instances: int = 20
    required: tuple[str, ...] = ()
    validity: ValidityLimits = ValidityLimits()
    defaults: Limits = Limits()
    dimensions: dict[str, Limits] = field(default_factory=dict)
    biases: dict[str, Limits] = field(default_factory=dict)
    source: str = ""
    sha256: str = ""

    def limits_for(self, bias: str, dimension: str) -> Limits:
        return self.biases.get(bias) or self.dimensions.get(dimension) or self.defaults

    def record(self) -> dict[str, Any]:
        """The policy as the certificate carries it (enough to re-derive every decision)."""
        return asdict(self)


def policy_from_record(record: dict[str, Any]) -> Policy:
    """The policy a certificate carries, back as a Policy."""
    return Policy(
        name=record["name"], confidence=record["confidence"], min_instances=record["min_instances"],
        required=tuple(record["required"]), validity=ValidityLimits(**record["validity"]), defaults=Limits(**record["defaults"]),
        dimensions={k: Limits(**v) for k, v in record["dimensions"].items()},
        biases={k: Limits(**v) for k, v in record["biases"].items()},
        source=record.get("source", ""), sha256=record.get("sha256", ""),
    )


def default_policy_path() -> Path:
    return Path(str(resources.files("judgeaudit.certification").joinpath(DEFAULT_POLICY)))


def load_policy(path: Path | None = None) -> Policy:
    """Read and check a policy file (the bundled default when ``path`` is None)."""
    path = path or default_policy_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JudgeAuditError(f"{path}: cannot read the policy ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise located(path, mark.line + 1 if mark else None, f"invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise located(path, None, "a policy is a mapping (name, confidence, defaults, ...)")
    reader = _Reader(path, _key_lines(root))
    reader.known(data, TOP_KEYS, "")
    defaults = reader.limits(data.get("defaults") or {}, Limits(), "defaults")
    policy = Policy(
        name=str(data.get("name") or path.stem),
        confidence=reader.share(data, "confidence", 0.95, "", open_interval=True),
        min_instances=reader.count(data, "min_instances", 20),
        required=reader.names(data, "required"),
        validity=reader.validity(data.get("validity") or {}),
        defaults=defaults,
        dimensions={str(k): reader.limits(v, defaults, f"dimensions.{k}") for k, v in reader.mapping(data, "dimensions").items()},
        biases={str(k): reader.limits(v, defaults, f"biases.{k}") for k, v in reader.mapping(data, "biases").items()},
        source=str(path),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    return policy


def _key_lines(node: Any, prefix: str = "") -> dict[str, int]:
    """Dotted key path -> 1-based line, for every mapping key in the document."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}{key.value}"
            lines[path] = key.start_mark.line + 1
            lines.update(_key_lines(value, path + "."))
    return lines


class _Reader:
    """Typed reads of policy values; every error names the file, the line and the dotted key."""

    def __init__(self, path: Path, lines: dict[str, int]) -> None:
        self.path, self.lines = path, lines

    def error(self, key: str, message: str) -> JudgeAuditError:
        return located(self.path, self.lines.get(key), f"{key}: {message}" if key else message)

    def known(self, data: dict[str, Any], keys: set[str], prefix: str) -> None:
        unknown = sorted(set(map(str, data)) - keys)
        if unknown:
            key = f"{prefix}{unknown[0]}"
            raise self.error(key, f"unknown key (valid: {', '.join(sorted(keys))})")

    def share(self, data: dict[str, Any], key: str, default: float, prefix: str, open_interval: bool = False) -> float:
        value = data.get(key, default)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not (0 < value < 1 if open_interval else 0 <= value <= 1):
            bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
            raise self.error(f"{prefix}{key}", f"must be a number {bounds}; got {value!r}")
        return float(value)

    def count(self, data: dict[str, Any], key: str, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(key, f"must be a whole number of at least 1; got {value!r}")
        return value

    def names(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of bias names")
        return tuple(value)

    def mapping(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise self.error(key, "must map names to limits")
        return value

    def optional_share(self, data: dict[str, Any], key: str, default: float | None, prefix: str, open_interval: bool = False) -> float | None:
        value = data.get(key, default)
        return None if value is None else self.share({key: value}, key, 0, prefix, open_interval)

    def optional_kappa(self, data: dict[str, Any], key: str, prefix: str) -> float | None:
        value = data.get(key)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not (number and -1 <= value <= 1):
            raise self.error(f"{prefix}{key}", f"must be a kappa between -1 and 1; got {value!r}")
        return None if value is None else float(value)

    def validity_limit(self, data: dict[str, Any], key: str, default: float | None) -> float | None:
        if key in KAPPA_KEYS:
            return self.optional_kappa(data, key, "validity.")
        return self.optional_share(data, key, default, "validity.", open_interval=key in EPSILON_KEYS)

    def validity(self, data: Any) -> ValidityLimits:
        if not isinstance(data, dict):
            raise self.error("validity", f"must be a mapping of limits ({', '.join(sorted(VALIDITY_KEYS))})")
        self.known(data, VALIDITY_KEYS, "validity.")
        base = ValidityLimits()
        return ValidityLimits(**{key: self.validity_limit(data, key, getattr(base, key)) for key in sorted(VALIDITY_KEYS)})

    def limits(self, data: Any, base: Limits, prefix: str) -> Limits:
        if not isinstance(data, dict):
            raise self.error(prefix, f"must be a mapping of limits ({', '.join(sorted(LIMIT_KEYS))})")
        if "max_noise_floor" in data:
            raise self.error(f"{prefix}.max_noise_floor", "the noise floor is judge-level: set it under validity (validity.max_noise_floor)")
        self.known(data, LIMIT_KEYS, prefix + ".")
        direction = data.get("direction", base.direction)
        if direction not in DIRECTIONS:
            raise self.error(f"{prefix}.direction", f"must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
        return Limits(
            max_effect=self.share(data, "max_effect", base.max_effect, prefix + ".", open_interval=True),
            direction=direction,
            max_unparseable_rate=self.share(data, "max_unparseable_rate", base.max_unparseable_rate, prefix + "."),
            max_failed_rate=self.share(data, "max_failed_rate", base.max_failed_rate, prefix + "."),
        )
