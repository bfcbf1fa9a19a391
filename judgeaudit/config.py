"""Typed configuration of an audit run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from judgeaudit.schema import stable_hash


@dataclass(frozen=True)
class JudgeSettings:
    """Which judge is asked and how: what ``run`` and ``needle`` share."""

    judge: str = "smollm2"
    """Judge spec: ``smollm2``, ``llamacpp:<gguf>``, ``openai/<model>``, ``<provider>/<model>``."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible (or litellm-supported) server."""
    mode: str | None = None
    """The formulation (see ``formulations.MODES``); None: pairwise, or for the embedded judge its least
    degenerate formulation (``formulations.default_mode``)."""
    logprobs: bool = True
    """Ask an OpenAI-compatible server for the verdict token's probabilities (a soft preference);
    a server that rejects them is asked without."""
    temperature: float = 0.0
    """Sampling temperature for generative judges."""
    max_tokens: int = 4096
    """Answer token limit for generative judges."""
    rewriter: str | None = None
    """A model (any judge spec) that writes the injected text (``run``: biases with a ``rewrite``
    instruction; ``needle``: the modifications of the material)."""
    rewriter_api_base: str | None = None
    """Base URL of the rewriter's server."""
    seed: int = 0
    """Seed from which every random choice derives."""


@dataclass(frozen=True)
class EngineSettings:
    """How calls go out; none of it changes an answer."""

    concurrency: int = 16
    """Requests in flight at once (it never changes an answer)."""
    max_retries: int = 5
    """Retries per request on 429/5xx/timeouts (it never changes an answer)."""
    timeout_s: float = 60.0
    """Per-request timeout in seconds (it never changes an answer)."""


@dataclass(frozen=True)
class RunConfig(JudgeSettings, EngineSettings):
    """Everything a user chooses for a run (the judge and engine settings, and the audit's own).

    The run id is derived from what these settings resolve to (the judge's identity, the instances
    asked, the bias templates, the seed), so settings that change no answer leave it unchanged.
    """

    prompt: str | None = None
    """A built-in prompt name or the user's prompt file (``prompts.custom``); None: the built-in one."""
    structured: bool = False
    """Ask an OpenAI-compatible server for the verdict as JSON by schema (with --prompt pairwise_json)."""
    dataset: str | None = None
    """Path of a JSONL/JSON/CSV dataset, or ``NAME:PATH`` for a public layout read by name
    (``datasets.presets``); None means the bundled sample set."""
    field_map: dict[str, str] = field(default_factory=dict)
    """Canonical field -> column/key in the dataset (e.g. prompt -> instruction)."""
    biases: tuple[str, ...] = ()
    """Biases to audit by name; empty means every bias of ``dimensions`` (all when that is empty too)."""
    dimensions: tuple[str, ...] = ()
    """Audit every bias of these dimensions (when no bias is named)."""
    exclude: tuple[str, ...] = ()
    """Biases left out of the selection."""
    bias_dirs: tuple[str, ...] = ()
    """Extra folders of bias YAML files (user-defined biases)."""
    rewrite_checks: tuple[str, ...] = ("llm", "numbers")
    """How a rewrite is checked to keep the original's meaning (see ``biases.rewrite.CHECKS``)."""
    limit: int | None = None
    """Audit N instances, taken round-robin across categories."""
    alpha: float = 0.05
    """False discovery rate: a bias is BIASED when its BH q-value is below alpha (statistics only)."""
    min_instances: int = 10
    """Below this many assessable instances a bias is INCONCLUSIVE (statistics only)."""
    alt_epsilon: float = 0.2
    """The Alt-Test's cost-benefit margin epsilon (0.2 for expert annotators, 0.15 skilled, 0.1 crowd
    workers, as its authors advise; statistics only)."""
    sequential: bool = False
    """Ask in batches of whole instances and stop each bias once the equivalence test decides it at the
    policy's margin and confidence (``--sequential``); stopped biases cost no more calls."""
    batch_instances: int = 10
    """Instances per batch when sequential."""
    policy: str | None = None
    """The certification policy whose margins sequential stopping uses (None: the bundled one)."""
    max_failed_rate: float = 0.05
    """A run whose failed calls exceed this share ends with a non-zero exit (rerun to retry them)."""
    rpm: float | None = None
    """Requests per minute allowed to the judge's (provider, key, model); None: no limit (it never changes an answer)."""
    tpm: float | None = None
    """Tokens per minute allowed to the judge's (provider, key, model); None: no limit."""
    max_cost_usd: float | None = None
    """Stop asking before the run's calls would cost more than this many dollars (a rerun continues)."""
    batch: bool = False
    """Ask through the provider's batch API (OpenAI Batch, Anthropic Message Batches): about half the price."""
    poll_interval_s: float = 60.0
    """Seconds between polls of a provider batch."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_id(judge_spec: str, identity: dict[str, Any]) -> str:
    """A readable, deterministic id: the judge's name and a hash of everything that changes an answer.

    Rerunning a command with the same identity resumes the same run folder; settings that change no
    answer (alpha, concurrency, the path by which the dataset was named) leave it unchanged.
    """
    judge_slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in judge_spec)[:40]
    return f"{judge_slug}__{stable_hash(identity, length=12)}"
