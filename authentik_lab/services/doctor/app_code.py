"""What doctor's `app.code-env` check observes: the variables the app's code reads (memoised in Facts)."""

from __future__ import annotations

from pathlib import Path

from authentik_lab.core.doctor.app_code import CodeRead, CodeView
from authentik_lab.services.doctor.facts import Facts


def code_view(f: Facts) -> CodeView:
    def build() -> CodeView:
        from authentik_lab.core.app_source.presets import infer_preset
        from authentik_lab.core.app_source.wiring import code_reads
        from authentik_lab.core.presets import PRESETS
        from authentik_lab.services import app_wiring

        root = Path(getattr(f.opts, "app_dir", None) or f.opts.cwd)
        inferred = infer_preset(app_wiring.dependencies(root))
        preset = f.opts.preset or inferred.preset
        scan = app_wiring.scan(root)
        reads: dict[str, CodeRead] = {}
        for role, name, origin, _ in code_reads(scan, preset):
            reads.setdefault(name, CodeRead(role, name, origin))
        notes = list(scan.notes)
        if preset and not f.opts.preset and reads:
            notes.insert(0, f"preset {preset} inferred from {inferred.reason}")
        form = PRESETS[preset].issuer_form.value if preset in PRESETS else None
        shown = _display(root, f.opts.cwd)
        return CodeView(shown, tuple(reads.values()), frozenset(r.name for r in scan.reads), preset, scan.files, tuple(notes), form)

    return f.once("app_code", build)


def _display(path: Path, cwd: Path) -> str:
    try:
        rel = path.absolute().relative_to(cwd.absolute())
        return "." if str(rel) == "." else f"./{rel}"
    except ValueError:
        return str(path)
