"""One error tree, caught once at the CLI boundary.

Every error carries a message and, where we know it, a `hint` telling the user what to do.
Exit codes are part of the contract for scripts (CI tells "never got ready" from "apply failed").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ExitCode:
    OK = 0
    FAILED = 1  # generic failure, doctor found a failing check, --check found work to do
    USAGE = 2  # bad input (typer uses 2 too)
    NOT_READY = 3  # Authentik never became ready
    APPLY_FAILED = 4  # the lab file could not be applied
    API = 5  # the Authentik API refused or failed a request
    COMPOSE = 6  # docker / docker compose failed


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt so that `finally` blocks and atomic
    writes unwind the same way; the CLI exits 143 (128 + 15) instead of 130 (128 + 2)."""


class AuthlabError(Exception):
    exit_code = ExitCode.FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": self.message, "hint": self.hint}


class UsageError(AuthlabError):
    """Bad input caught before anything was changed."""

    exit_code = ExitCode.USAGE


class ConfigError(AuthlabError):
    """A file authlab reads is missing or malformed; `location` says where (file:line:col or file:key.path)."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None, location: str | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message, hint)
        self.location = location


class ComposeError(AuthlabError):
    exit_code = ExitCode.COMPOSE

    def __init__(self, message: str, argv: list[str], code: int | None, stderr: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.argv = argv
        self.code = code
        self.stderr = stderr

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "argv": self.argv, "code": self.code, "stderr": self.stderr[-2000:]}


class EngineError(AuthlabError):
    """The Docker engine cannot be reached or refused an operation."""

    exit_code = ExitCode.COMPOSE


@dataclass
class FieldErrors:
    """Authentik's validation errors, `{field: [messages]}`, flattened to (field path, message) pairs."""

    items: list[tuple[str, str]] = field(default_factory=list)


class ApiError(AuthlabError):
    exit_code = ExitCode.API

    def __init__(
        self,
        message: str,
        method: str,
        path: str,
        status: int | None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.method = method
        self.path = path
        self.status = status
        self.body = body

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        return flatten_field_errors(self.body) if self.status == 400 else []

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "field_errors": [{"field": f, "message": m} for f, m in self.field_errors],
        }


class AuthError(ApiError):
    """401/403: the token is wrong, expired, or lacks permission."""


class NotFoundError(ApiError):
    pass


class WaitTimeout(AuthlabError):
    exit_code = ExitCode.NOT_READY

    def __init__(self, target: str, waited: float, last_seen: str, hint: str | None = None) -> None:
        super().__init__(f"timed out after {waited:.0f}s waiting for {target} (last seen: {last_seen})", hint)
        self.target = target
        self.waited = waited
        self.last_seen = last_seen

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "target": self.target, "waited": self.waited, "last_seen": self.last_seen}


class NotReadyError(AuthlabError):
    """Authentik failed definitively while starting (a container exited, a known log pattern matched)."""

    exit_code = ExitCode.NOT_READY

    def __init__(self, message: str, hint: str | None = None, evidence: list[str] | None = None) -> None:
        super().__init__(message, hint)
        self.evidence = evidence or []

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "evidence": self.evidence}


class ApplyError(AuthlabError):
    exit_code = ExitCode.APPLY_FAILED


def flatten_field_errors(body: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Authentik nests errors per field, per list item and under `non_field_errors`; flatten them all."""
    out: list[tuple[str, str]] = []
    if isinstance(body, dict):
        for key, value in body.items():
            path = key if not prefix else (prefix if key == "non_field_errors" else f"{prefix}.{key}")
            if key == "non_field_errors" and not prefix:
                path = "(object)"
            out.extend(flatten_field_errors(value, path))
    elif isinstance(body, list):
        if all(isinstance(v, str) for v in body):
            out.extend((prefix or "(object)", v) for v in body)
        else:
            for i, value in enumerate(body):
                if value:
                    out.extend(flatten_field_errors(value, f"{prefix}[{i}]"))
    elif isinstance(body, str):
        out.append((prefix or "(object)", body))
    return out
