"""The identity of an API endpoint, safe to record: a base URL with its credentials taken out, in one
normal form (``https://Host/v1/`` and ``https://host/v1`` are one endpoint)."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
_SECRET_NAMES = {"sig", "signature", "code", "password", "passwd", "pwd", "auth", "authorization"}
_SECRET_PARTS = ("key", "token", "secret")


def _is_secret(name: str) -> bool:
    name = name.lower()
    return name in _SECRET_NAMES or any(part in name for part in _SECRET_PARTS)


def redact_url(url: str) -> str:
    """``url`` without userinfo (``user:password@``), fragment, or the values of secret-looking query parameters.

    Query parameters whose name is a known secret (``sig``, ``code``, ``password``, ...) or contains
    ``key``, ``token`` or ``secret`` keep their name, with the value ``REDACTED``.
    """
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = [(k, REDACTED if _is_secret(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(query, safe="/:,"), ""))


def endpoint_identity(url: str) -> str:
    """``url`` redacted (``redact_url``) and normalized: scheme and host in lower case, no trailing
    slash on the path. SDKs add or drop that slash from one release to the next; it is in the run id
    and every cache key, so it must not make the same server a different endpoint."""
    parts = urlsplit(redact_url(url))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def scope_key(backend: str, model: str, api_base: str | None, api_key: str | None) -> str:
    """Who shares a rate limit: one backend and endpoint, one API key (as a short sha256), one model."""
    key_id = hashlib.sha256(api_key.encode()).hexdigest()[:12] if api_key else "-"
    return f"{backend}|{api_base or '-'}|{key_id}|{model}"
