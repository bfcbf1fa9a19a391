"""Typed configuration of an audit run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from judgeaudit.schema import stable_hash


@dataclass(frozen=True)
class RunConfig:
    """Everything a user chooses for a run. Fields that can change an answer enter the run id."""

    judge: str = "smollm2"
    """Judge spec: ``smollm2``, ``llamacpp:<gguf>``, ``openai/<model>``, ``<provider>/<model>``."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible (or litellm-supported) server."""
    dataset: str | None = None
    """Path of a JSONL/CSV dataset; None means the bundled sample set."""
    field_map: dict[str, str] = field(default_factory=dict)
    """Canonical field -> column/key in the dataset (e.g. prompt -> instruction)."""
    biases: tuple[str, ...] = ()
    """Biases to audit by name; empty means every bias in the registry."""
    bias_dirs: tuple[str, ...] = ()
    """Extra folders of bias YAML files (user-defined biases)."""
    limit: int | None = None
    """Audit N instances, taken round-robin across categories."""
    seed: int = 0
    """Seed from which every random choice derives."""
    temperature: float = 0.0
    """Sampling temperature for generative judges."""
    max_tokens: int = 512
    """Answer token limit for generative judges."""
    alpha: float = 0.05
    """False discovery rate: a bias is flagged when its BH q-value is below alpha."""
    concurrency: int = 16
    """Requests in flight at once (not part of any key: it never changes an answer)."""
    max_retries: int = 5
    """Retries per request on 429/5xx/timeouts (not part of any key)."""
    timeout_s: float = 60.0
    """Per-request timeout in seconds (not part of any key)."""

    _OPERATIONAL = ("concurrency", "max_retries", "timeout_s")

    def answer_relevant(self) -> dict[str, Any]:
        """The fields that decide which probes are asked and how: the identity of a run."""
        data = asdict(self)
        for name in self._OPERATIONAL:
            data.pop(name)
        return data

    def run_id(self, dataset_hash: str) -> str:
        """A readable, deterministic id: rerunning the same command resumes the same run folder."""
        judge_slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.judge)[:40]
        data_slug = Path(self.dataset).stem if self.dataset else "sample"
        digest = stable_hash([self.answer_relevant(), dataset_hash], length=8)
        return f"{judge_slug}__{data_slug}__{digest}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
