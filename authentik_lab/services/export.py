"""`authlab export blueprint` and `authlab export helm`: the lab file for production, nothing read from a server.

Everything is built and checked before the first byte is written, so a bad option or lab file leaves no file
behind; each file is written atomically. No secret is ever read into the output: the lab's `.env` is consulted
only for its release number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.core.dialect import MIN_SUPPORTED, Dialect, parse_version
from authentik_lab.errors import AuthlabError, UsageError

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.core.labfile import LabFile


@dataclass(frozen=True)
class ExportResult:
    kind: str  # blueprint | helm
    file: str  # the lab file read
    version: str  # the Authentik release the output targets
    version_source: str  # --version | lab file | lab | default
    written: tuple[str, ...] = ()  # files written (empty when printed to stdout)
    objects: dict[str, int] = field(default_factory=dict)  # entries per model
    secret: str | None = None  # helm: the existing Secret the values read
    secret_keys: tuple[str, ...] = ()  # helm: the keys it must hold
    text: str = field(default="", repr=False)  # the document when printed to stdout

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": self.kind, "file": self.file, "version": self.version, "version_source": self.version_source,
            "written": list(self.written), "objects": dict(self.objects),
        }
        if self.kind == "helm":
            doc.update(secret=self.secret, secret_keys=list(self.secret_keys))
        if not self.written:
            doc["content"] = self.text
        return doc


def release(app: "App", lab: "LabFile", version: str | None) -> tuple[Dialect, str]:
    """The release dialect to write for: --version, else the lab file's `version`, else the lab's, else the default."""
    if version is not None:
        source, text = "--version", version
    elif lab.version:
        source, text = "lab file", lab.version
    else:
        source, text = _lab_version(app)
    try:
        parsed = parse_version(text)
    except ValueError as exc:
        raise UsageError(f"--version {text!r}: {exc}", hint="give a release like --version 2026.5.6") from None
    if parsed < MIN_SUPPORTED:
        raise UsageError(f"--version {text}: authlab supports Authentik {'.'.join(map(str, MIN_SUPPORTED))} and later",
                         hint="export for a supported release, e.g. --version 2026.5.6")
    return Dialect(parsed), source


def _lab_version(app: "App") -> tuple[str, str]:
    from authentik_lab.core.templates import DEFAULT_VERSION
    from authentik_lab.services.lab import load_lab

    try:
        return "lab", load_lab(app.lab_dir).version
    except AuthlabError:
        return "default", DEFAULT_VERSION


def blueprint_document(lab: "LabFile", dialect: Dialect, name: str, **kw: Any) -> dict[str, Any]:
    """The blueprint for `lab` (every provider validated first, errors at the provider's file:line:col)."""
    from authentik_lab.core.export import blueprint as bp
    from authentik_lab.services.apply_providers import desired_from_spec

    inputs = []
    for i, spec in enumerate(lab.providers):
        try:
            inputs.append(bp.ProviderInput(spec, desired_from_spec(spec)))
        except AuthlabError as exc:
            raise UsageError(f"{lab.where(f'providers[{i}]')}: providers[{i}] ({spec.name}): {exc.message}", exc.hint) from None
    return bp.build(lab, inputs, dialect, name=name, **kw)


def header(lab: "LabFile", dialect: Dialect, what: str) -> str:
    return (f"{what}, made by `authlab export` from {lab.path} for Authentik {dialect.label}.\n"
            "No secret is written here: passwords come from the environment of the Authentik worker (!Env).")


def export_blueprint(app: "App", file: Path | None, *, version: str | None = None, output: Path | None = None,
                     name: str = "authlab") -> ExportResult:
    from authentik_lab.core.export import blueprint_yaml
    from authentik_lab.services.test_users import load_labfile

    lab = load_labfile(file)
    dialect, source = release(app, lab, version)
    _check_name(name, "--name")
    _check_output(output, lab.path)
    document = blueprint_document(lab, dialect, name)
    text = _comment(header(lab, dialect, "Authentik blueprint")) + blueprint_yaml.dump(document)
    written = _write([(output, text)], lab.path) if output else ()
    return ExportResult("blueprint", lab.path, dialect.label, source, written, _counts(document), text=text)


def export_helm(app: "App", file: Path | None, *, version: str | None = None, output: Path | None = None,
                host: str | None = None, secret: str = "authentik-secrets", configmap: str = "authlab-blueprint",
                bootstrap: bool = False, postgres_host: str | None = None) -> ExportResult:
    from authentik_lab.core.export import blueprint_yaml, helm_values
    from authentik_lab.services.test_users import load_labfile

    lab = load_labfile(file)
    dialect, source = release(app, lab, version)
    for value, option in ((secret, "--secret"), (configmap, "--configmap")):
        _check_k8s_name(value, option)
    if host is not None:
        _check_host(host)
    _check_output(output, lab.path)
    document = blueprint_document(lab, dialect, configmap)
    blueprint_text = _comment(header(lab, dialect, "Authentik blueprint")) + blueprint_yaml.dump(document)
    envs = sorted({u.password_env for u in lab.users if u.password_env})
    values = helm_values.build_values(dialect.label, secret=secret, configmap=configmap, host=host, bootstrap=bootstrap,
                                      password_envs=envs, postgres_host=postgres_host)
    keys = helm_values.secret_keys(envs, bootstrap)
    values_text = helm_values.dump(values, header=(
        f"Values for the official authentik Helm chart, made by `authlab export helm` from {lab.path} (Authentik {dialect.label}).\n"
        f"No secret is written here: they come from the existing Secret {secret!r}, keys: {', '.join(keys)}.\n"
        f"The blueprint is in the ConfigMap {configmap!r} (apply its manifest before installing the chart)."))
    configmap_text = helm_values.dump(helm_values.build_configmap(configmap, blueprint_text),
                                      header=f"The ConfigMap the chart mounts through blueprints.configMaps ({configmap}).")
    written: tuple[str, ...] = ()
    if output:
        written = _write([(output, values_text), (configmap_path(output), configmap_text)], lab.path)
        text = values_text
    else:
        text = values_text + "---\n" + configmap_text
    return ExportResult("helm", lab.path, dialect.label, source, written, _counts(document), secret, tuple(keys), text=text)


def configmap_path(values_path: Path) -> Path:
    """Where the ConfigMap manifest goes: beside the values file (`values.yaml` -> `values.configmap.yaml`)."""
    path = Path(values_path)
    return path.with_name(f"{path.stem}.configmap{path.suffix or '.yaml'}")


def _counts(document: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in document["entries"]:
        out[entry["model"]] = out.get(entry["model"], 0) + 1
    return out


def _comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in text.splitlines())


def _check_output(path: Path | None, lab_path: str) -> None:
    if path is None:
        return
    if Path(path).is_dir() or not Path(path).name:
        raise UsageError(f"-o {path} is a directory", hint="name a file, e.g. -o values.yaml")
    if Path(path).resolve() == Path(lab_path).resolve():
        raise UsageError(f"-o {path} is the lab file itself", hint="write the export to another file, e.g. -o authlab-blueprint.yaml")


def _write(files: list[tuple[Path, str]], lab_path: str) -> tuple[str, ...]:
    from authentik_lab.adapters.files import atomic_write

    for path, _ in files:
        _check_output(path, lab_path)  # the ConfigMap's path too
    for path, text in files:
        atomic_write(Path(path), text, mode=0o644)  # no secrets inside: readable like any manifest
    return tuple(str(p) for p, _ in files)


def _check_name(value: str, option: str) -> None:
    if not value.strip():
        raise UsageError(f"{option} must not be empty", hint=f"e.g. {option} authlab")


def _check_k8s_name(value: str, option: str) -> None:
    import re

    # a Kubernetes object name (RFC 1123 subdomain): lower case, digits, '-' and '.'
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", value):
        raise UsageError(f"{option} {value!r} is not a valid Kubernetes name",
                         hint="use lower-case letters, digits and '-' (e.g. authentik-secrets)")


def _check_host(host: str) -> None:
    import re

    if not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*", host):
        raise UsageError(f"--host {host!r} is not a host name", hint="give the name only, e.g. --host auth.example.org (no scheme, no path)")
