"""Long-form material for the needle-in-a-haystack test: long correct responses and plantable edits.

One JSONL record per response:

    {"id": "lf-01", "kind": "explanation", "prompt": "...", "response": "...paragraphs separated by a blank line...",
     "modifications": [{"anchor": "an exact passage of the response", "edit": "insert_after" | "replace",
                        "true": "a true, relevant text", "false": "the same with a planted error",
                        "type": "factual" | "numerical" | "logical" | "code"}]}

Each anchor occurs exactly once in the response and within one paragraph. ``insert_after`` puts the
true or false text after the anchor (a space between); ``replace`` puts it in the anchor's place. The
clean (chosen) and erroneous (rejected) responses then differ in that passage alone. Errors name the
file, the line and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from judgeaudit.errors import located

EDITS = ("insert_after", "replace")
ERROR_TYPES = ("factual", "numerical", "logical", "code", "safety")
PARAGRAPH_BREAK = "\n\n"

Edit = Literal["insert_after", "replace"]


@dataclass(frozen=True)
class Modification:
    """A passage of the response and its true and false versions."""

    anchor: str
    edit: Edit
    true: str
    false: str
    type: str

    def apply(self, response: str, version: Literal["true", "false"]) -> str:
        """``response`` with this modification's true or false version planted at its anchor."""
        text = self.true if version == "true" else self.false
        start = response.index(self.anchor)
        end = start + len(self.anchor)
        planted = f"{self.anchor} {text}" if self.edit == "insert_after" else text
        return response[:start] + planted + response[end:]


@dataclass(frozen=True)
class LongformItem:
    """A long, correct response to a prompt, with the modifications that can be planted in it."""

    id: str
    kind: str
    prompt: str
    response: str
    modifications: tuple[Modification, ...]

    @property
    def paragraphs(self) -> list[str]:
        return self.response.split(PARAGRAPH_BREAK)


def bundled_longform() -> list[Path]:
    """The long-form material shipped with judgeaudit."""
    folder = Path(__file__).resolve().parent.parent / "datasets" / "data" / "longform"
    return sorted(folder.glob("*.jsonl"))


def _modification(raw: object, path: Path, line: int, where: str, response: str) -> Modification:
    if not isinstance(raw, dict):
        raise located(path, line, f"{where}: a modification is an object with anchor, edit, true, false, type")
    missing = [key for key in ("anchor", "true", "false") if not isinstance(raw.get(key), str) or not raw[key].strip()]
    if missing:
        raise located(path, line, f"{where}: missing or empty {', '.join(missing)}")
    edit, kind = raw.get("edit", "replace"), raw.get("type", "factual")
    if edit not in EDITS:
        raise located(path, line, f"{where}.edit: must be one of {', '.join(EDITS)}; got {edit!r}")
    if kind not in ERROR_TYPES:
        raise located(path, line, f"{where}.type: must be one of {', '.join(ERROR_TYPES)}; got {kind!r}")
    anchor = raw["anchor"]
    count = response.count(anchor)
    if count != 1:
        raise located(path, line, f"{where}.anchor: must occur exactly once in the response, found {count} times: {anchor[:60]!r}")
    if PARAGRAPH_BREAK in anchor:
        raise located(path, line, f"{where}.anchor: must lie within one paragraph")
    if raw["true"] == raw["false"]:
        raise located(path, line, f"{where}: the true and false versions are identical")
    return Modification(anchor, edit, raw["true"], raw["false"], kind)


def load_longform(paths: list[Path], modifications_required: bool = True) -> list[LongformItem]:
    """Read and check long-form material files (``modifications`` may be absent when a writer supplies them)."""
    items: list[LongformItem] = []
    seen: set[str] = set()
    for path in paths:
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise located(path, line, f"invalid JSON ({exc.msg})") from None
            for key in ("id", "prompt", "response"):
                if not isinstance(record.get(key), str) or not record[key].strip():
                    raise located(path, line, f"{key}: missing or empty")
            if record["id"] in seen:
                raise located(path, line, f"id: {record['id']!r} appears twice")
            seen.add(record["id"])
            raw = record.get("modifications", [])
            if not isinstance(raw, list) or (modifications_required and not raw):
                raise located(path, line, "modifications: a non-empty list is required (or give --rewriter to have them written)")
            modifications = tuple(
                _modification(m, path, line, f"modifications[{n}]", record["response"]) for n, m in enumerate(raw)
            )
            items.append(LongformItem(record["id"], str(record.get("kind", "")), record["prompt"], record["response"], modifications))
    return items
