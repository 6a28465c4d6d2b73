"""Human output of `authlab snapshot ...` (the JSON form is the services' dataclasses as they are)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from rich.markup import escape

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.snapshot import SnapshotInfo


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def render_list(app: "App", snaps: Sequence["SnapshotInfo"]) -> None:
    if not snaps:
        app.out.print("no database snapshots yet: `authlab up` saves one after a lab's first (cold) boot")
        return
    for s in snaps:
        state = f"[red]unusable: {escape(s.problem)}[/]" if s.problem else escape(s.server_image)
        app.out.print(f"{escape(s.key)}  {escape(s.release)}  {escape(s.created)}  {_size(s.size)}  {state}")


def render_saved(app: "App", s: "SnapshotInfo") -> None:
    app.out.print(f"saved snapshot {escape(s.key)} ({_size(s.size)}) in {escape(str(s.path))}")


def render_pruned(app: "App", removed: Sequence["SnapshotInfo"]) -> None:
    if not removed:
        app.out.print("nothing to prune")
    for s in removed:
        app.out.print(f"deleted {escape(s.key)} ({escape(s.problem or s.release)})")
