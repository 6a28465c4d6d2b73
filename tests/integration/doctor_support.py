"""What the doctor CLI tests share: an engine double for checks that judge files only."""

from __future__ import annotations


class NothingRunsEngine:
    """A reachable rootful engine with no container of any project: doctor judges the files alone (what a freshly
    downloaded compose file looks like)."""

    def require(self) -> None:
        pass

    def info(self):  # noqa: ANN201
        from authentik_lab.core.readiness import EngineInfo

        return EngineInfo("27.3.1", False, "Debian", "linux", "x86_64")

    def containers(self, project: str) -> list:
        return []

    def logs(self, project: str, service: str, tail: int = 60, since: float | None = None) -> list[str]:
        return []
