"""Human output for `authlab provider ...`: data on stdout, notes on stderr (JSON goes through render.emit)."""


from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.provider_facts import ProviderView
    from authentik_lab.services.provider_queries import DeleteResult, ListResult, ShowResult
    from authentik_lab.services.providers import CreateResult


def _esc(text: Any) -> str:
    from rich.markup import escape

    return escape(str(text))


def refresh_hint(preset_name: str | None) -> str:
    """How the preset's framework is told to request offline_access (the generic wording without a preset)."""
    from authentik_lab.core.presets import PRESETS

    preset = PRESETS.get(preset_name) if preset_name else None
    return preset.refresh_hint if preset is not None else "add offline_access to the scopes your app requests"


def provider_details(app: "App", view: "ProviderView", show_secret: bool) -> None:
    out = app.out
    rows: list[tuple[str, str]] = [
        ("client id", view.client_id),
        ("client secret", view.client_secret + ("" if show_secret or not view.client_secret else "   (--show-secret prints it)")),
        ("client type", view.client_type),
        ("redirect URIs", "\n".join(f"{r['url']} ({r['matching_mode']})" for r in view.redirect_uris) or "(none)"),
        ("scope mappings", " ".join(view.scopes) or "(none)"),
        ("signing", view.signing_alg + ("" if view.signing_alg != "HS256" else "   (no signing key: JWKS is empty)")),
        ("issuer", f"{view.issuer or '(none: no application)'}   (exactly as Authentik emits it)"),
    ]
    if view.preset and view.issuer_for_preset:
        rows.append((f"issuer for {view.preset}", f"{view.issuer_for_preset}   ({view.issuer_form})"))
    ep = view.endpoints
    rows += [
        ("discovery", ep.discovery),
        ("authorize", ep.authorize),
        ("token", ep.token),
        ("userinfo", ep.userinfo),
        ("end session", ep.end_session),
        ("jwks", ep.jwks),
    ]
    if view.app_scopes:
        rows.append(("app should request", " ".join(view.app_scopes)))
        if "offline_access" in view.scopes and "offline_access" not in view.app_scopes:
            # the mapping alone is not enough: Authentik issues a refresh token only when the app asks for it
            rows.append(("refresh tokens", f"request offline_access too: {refresh_hint(view.preset)}"))
    for note in view.release_notes:  # next to the offline_access advice: e.g. the consent screen before 2025.4
        rows.append(("this release", note))
    width = max(len(k) for k, _ in rows) + 2
    for key, value in rows:
        lines = str(value or "(none)").splitlines() or [""]
        out.print(f"  {key.ljust(width)}{_esc(lines[0])}")
        for more in lines[1:]:
            out.print(f"  {' ' * width}{_esc(more)}")
    for item in view.verified:
        out.print(f"  [green]✓[/] {_esc(item)}")
    for item in view.problems:
        out.print(f"  [red]✗[/] {_esc(item)}")


def print_notes(app: "App", notes: tuple[str, ...]) -> None:
    """Notes go to stderr in every mode (stdout stays the data or the JSON document); never wrapped mid-URL."""
    for note in notes:
        app.err.print(f"[yellow]note:[/] {_esc(note)}", soft_wrap=True)


def _phrase(action: str, kind: str, key: str, dry_run: bool) -> str:
    if action == "unchanged":
        return f"{kind} {key!r} unchanged"
    return f"{'would ' + action if dry_run else action + 'd'} {kind} {key!r}"


def create_human(app: "App", result: "CreateResult", show_secret: bool, verbose: bool = False) -> None:
    from authentik_lab.render import plain_value

    print_notes(app, result.notes + (result.retries if verbose else ()))
    out = app.out
    where = f"on {result.url} (Authentik {result.server_version})"
    if result.action == "unchanged":
        prefix = "dry run: would leave unchanged" if result.dry_run else "unchanged:"
        out.print(_esc(f"{prefix} provider {result.name!r} and application {result.slug!r} {where}"))
    else:
        phrase = ", ".join(_phrase(a, kind, key, result.dry_run) for a, kind, key in (
            (result.provider_action, "provider", result.name), (result.application_action, "application", result.slug)))
        out.print(_esc(f"{'dry run: ' if result.dry_run else ''}{phrase} {where}"))
    for change in result.changes:
        out.print(_esc(f"  ~ {change.object}.{change.field}: {plain_value(change.old)} -> {plain_value(change.new)}"))
    if result.provider is not None:
        provider_details(app, result.provider, show_secret)
    if result.env is not None:
        env = result.env
        parts = [f"added {', '.join(env.added)}" if env.added else "", f"updated {', '.join(env.changed)}" if env.changed else "",
                 f"kept {', '.join(env.unchanged)}" if env.unchanged else ""]
        out.print(_esc(f"env file {env.path} (mode 0600): " + "; ".join(p for p in parts if p)))
        for key, origin in env.origins.items():  # names taken from the app, and where
            out.print(_esc(f"  {'kept' if key in env.unchanged else 'wrote'} {key} ({origin})"), soft_wrap=True)
    if result.dry_run:
        out.print("nothing was changed (dry run)")


def list_human(app: "App", result: "ListResult") -> None:
    out = app.out
    if not result.providers:
        out.print(_esc(f"no OAuth2 providers on {result.url} (Authentik {result.server_version})"))
        return
    # not a rich Table: it wraps a long redirect URI mid-string at 80 columns, which cannot be copied or
    # grepped. Short columns line up; each redirect URI gets its own whole line below its provider.
    rows = [(r.name, r.application or "(none)", "yes" if r.offline_access else "no", r.signing_alg) for r in result.providers]
    head = ("provider", "application", "offline_access", "signing")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells: tuple) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    out.print(_esc(line(head)), soft_wrap=True, highlight=False)
    for cells, row in zip(rows, result.providers):
        out.print(_esc(line(cells)), soft_wrap=True, highlight=False)
        for uri in row.redirect_uris or ["(none)"]:
            out.print(_esc(f"  redirect URI  {uri}"), soft_wrap=True, highlight=False)


def show_human(app: "App", result: "ShowResult", show_secret: bool) -> None:
    view = result.provider
    app.out.print(_esc(f"provider {view.name!r} (pk {view.provider_pk}), application {view.slug or '(none)'!s} on {result.url} (Authentik {result.server_version})"))
    provider_details(app, view, show_secret)


def delete_human(app: "App", result: "DeleteResult") -> None:
    if result.action == "absent":
        app.out.print(_esc(f"nothing to delete: no provider named {result.name!r}"))
    elif result.action == "cancelled":
        app.out.print("cancelled; nothing was deleted")
    else:
        what = f"application {result.application!r} and provider {result.name!r}" if result.application else f"provider {result.name!r}"
        app.out.print(_esc(f"deleted {what}"))
