"""User-facing errors: shown as one clear line, never as a traceback."""


class JudgeAuditError(Exception):
    """An error caused by input or configuration that the user can fix."""


def located(path: object, line: int | None, message: str) -> JudgeAuditError:
    """An error that names the file (and line, when known) it comes from."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return JudgeAuditError(f"{where}: {message}")
