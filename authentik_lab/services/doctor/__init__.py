"""`authlab doctor` as a use case: select checks, run them over one lazily gathered `Facts`, plan and apply fixes.

Entry points (run.py): `run_doctor`, `choose`, `catalogue`, `run_checks`, `plan_fixes`, `apply_fixes`, and the
report types. Inside: catalogue.py (every check and the facts it reads), facts*.py (what doctor observes: files,
the server), effective.py (the compose configuration as compose runs it), gather.py (engine, API and host facts),
app_code.py (what the app's source reads).
The pure judging lives in core.doctor.
"""

from authentik_lab.services.doctor.run import (
    AppliedFix, DoctorReport, PlannedFix, append_generated, apply_fixes, catalogue, choose, plan_fixes, run_checks, run_doctor,
    validate,
)

__all__ = ["AppliedFix", "DoctorReport", "PlannedFix", "append_generated", "apply_fixes", "catalogue", "choose", "plan_fixes",
           "run_checks", "run_doctor", "validate"]
