"""GGUF weight files: content hashes remembered per file, chat-template metadata, format conversion.

Hashes live in a small SQLite file in the user cache folder, keyed by (resolved path, size,
mtime_ns), so a 300 MB file is hashed once, not on every run. Conversions (llama.cpp's own
quantizer) land in the same folder, written to a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from judgeaudit.errors import JudgeAuditError
from judgeaudit.user_cache import default_cache_path

HASHES_FILE = "gguf_hashes.sqlite"
FTYPES = ("F32", "F16", "BF16", "Q8_0")
"""Target formats of :func:`convert`, by llama.cpp's file-type name."""


def cache_folder() -> Path:
    """The user cache folder: the response cache's folder (``$JUDGEAUDIT_CACHE``'s or ~/.cache/judgeaudit)."""
    return default_cache_path().parent


@contextlib.contextmanager
def _hash_db() -> Iterator[sqlite3.Connection]:
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / HASHES_FILE, timeout=30)
    try:
        with db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS files"
                " (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS conversions"
                " (source_sha256 TEXT, ftype TEXT, sha256 TEXT NOT NULL, PRIMARY KEY (source_sha256, ftype))"
            )
            yield db
    finally:
        db.close()


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, computed once per (resolved path, size, mtime_ns)."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    with _hash_db() as db:
        row = db.execute(
            "SELECT sha256 FROM files WHERE path = ? AND size = ? AND mtime_ns = ?",
            (str(resolved), stat.st_size, stat.st_mtime_ns),
        ).fetchone()
    if row:
        return str(row[0])
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    with _hash_db() as db:
        db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
            (str(resolved), stat.st_size, stat.st_mtime_ns, digest.hexdigest()),
        )
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet_llama() -> Iterator[None]:
    """Silence llama.cpp's log (routed through the ``llama-cpp-python`` logger) for a call."""
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def chat_template(path: Path) -> str:
    """The GGUF's default chat template, read with the vocabulary only (no weights loaded)."""
    import llama_cpp

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    with _quiet_llama():
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if model is None:
        raise JudgeAuditError(f"{path}: llama.cpp cannot read this GGUF file")
    try:
        template = llama_cpp.llama_model_chat_template(model, None)
    finally:
        llama_cpp.llama_model_free(model)
    if not template:
        raise JudgeAuditError(f"{path}: the GGUF has no chat template")
    return template.decode("utf-8")


def convert(source: Path, ftype: str) -> Path:
    """``source`` converted to ``ftype`` (one of FTYPES) in the cache folder, made once and reused.

    The file is reused while its hash matches the one recorded when it was written; otherwise it is
    rewritten (to a temporary name, then renamed, so a reader never sees a partial file).
    """
    import llama_cpp

    if ftype not in FTYPES:
        raise JudgeAuditError(f"unknown GGUF conversion {ftype!r}; choose one of {', '.join(FTYPES)}")
    source_sha = file_sha256(source)
    target = cache_folder() / f"{Path(source).stem}.{source_sha[:16]}.{ftype}.gguf"
    with _hash_db() as db:
        row = db.execute(
            "SELECT sha256 FROM conversions WHERE source_sha256 = ? AND ftype = ?", (source_sha, ftype)
        ).fetchone()
    if row and target.is_file() and file_sha256(target) == row[0]:
        return target
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, "LLAMA_FTYPE_ALL_F32" if ftype == "F32" else f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.allow_requantize = True
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with _quiet_llama():
            failed = llama_cpp.llama_model_quantize(str(source).encode(), temporary.encode(), params)
        if failed:
            raise JudgeAuditError(f"{source}: llama.cpp could not convert it to {ftype} (code {failed})")
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    target_sha = file_sha256(target)
    with _hash_db() as db:
        db.execute("INSERT OR REPLACE INTO conversions VALUES (?, ?, ?)", (source_sha, ftype, target_sha))
    return target
