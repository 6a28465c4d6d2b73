"""Every doctor check: a stable id, a title, the inputs it needs, and how it turns facts into an outcome.

The logic lives in the pure `core.doctor` modules; each entry here only says which facts to hand in.
Ids are part of the CLI contract (`authlab doctor ID...`, `--json`): never rename one.
"""

from __future__ import annotations

from typing import Callable

from authentik_lab.core.doctor import app_env as appenv
from authentik_lab.core.doctor import app_urls as appurls
from authentik_lab.core.doctor import compose as dc
from authentik_lab.core.doctor import env as denv
from authentik_lab.core.doctor import http as dh
from authentik_lab.core.doctor import mounts as dm
from authentik_lab.core.doctor import provider as dp
from authentik_lab.core.doctor import release_fit as drel
from authentik_lab.core.doctor import services as dsv
from authentik_lab.core.doctor import volumes as dv
from authentik_lab.core.doctor import runtime as dr
from authentik_lab.core.checks import FAIL, Check, Message, Outcome, Skip
from authentik_lab.services.doctor import effective as eff
from authentik_lab.services.doctor import gather as g
from authentik_lab.services.doctor.facts import Facts
from authentik_lab.services.doctor.facts_server import LIVE_PATH, ME_PATH, READY_PATH

Run = Callable[[Facts], Outcome]


def _compose_file(f: Facts) -> str:
    return str(f.compose_path())


def _env_file(f: Facts) -> str:
    return str(f.env_path())


def _engine(f: Facts) -> Outcome:
    from authentik_lab.adapters.compose import DOCKER_HINT

    info, error = f.engine_info()
    return dh.check_engine(info, error, DOCKER_HINT)


def _compose_available(f: Facts) -> Outcome:
    from authentik_lab.adapters.compose import INSTALL_HINT

    return dh.check_compose_available(*g.compose_binary(f), INSTALL_HINT)


def _token(f: Facts) -> Outcome:
    from authentik_lab.core.readiness import token_rejected

    token, source = f.token_source()
    me = f.fetch(ME_PATH) if token else None
    refused = me is not None and me.status is not None and token_rejected(me.status, me.body)
    if not refused:
        return dh.check_token(me, source)
    try:
        starting = any(c.service == "worker" and c.health == "starting" for c in g.containers(f))
    except Exception:  # noqa: BLE001 - no engine, no project: nothing known of the worker
        starting = False
    return dh.check_token(me, source, f.flows_applied(), starting)


def _clock(f: Facts) -> Outcome:
    live = f.fetch(LIVE_PATH)
    if live.status is None:
        from authentik_lab.core.checks import Skip

        raise Skip("Authentik cannot be reached (see http.live)")
    return dh.check_clock_skew(live.headers.get("Date"), live.headers["_before"], live.headers["_after"])


def _compose_valid(f: Facts) -> Outcome:
    import os

    from authentik_lab.core.doctor.compose_valid import check_compose_valid, config_command

    s, answer = eff.setup(f), eff.ask(f)
    try:
        f.effective()  # the report's compose_config (and -v) then says what was asked and what was read instead
    except Exception:  # noqa: BLE001 - a file the fallback cannot read: the other compose checks report it
        pass
    if answer.unavailable is not None:
        raise Skip(f"compose could not be asked: {answer.unavailable} (see compose.available)")
    try:
        lines = f.env_lines()
    except Skip:
        lines = None  # no .env at all
    except Exception:  # noqa: BLE001 - a .env authlab cannot read: compose's own reason says what is wrong
        lines = {}
    env_file = str(f.env_path() or f.compose_path().parent / ".env")  # type: ignore[union-attr]
    command = config_command(s.files, s.profiles, str(s.env_file) if s.env_file else None)
    return check_compose_valid(answer.refusal, s.files, command, env_file, lines, os.environ)


def _expected_services(f: Facts) -> list[str]:
    return sorted(f.compose_doc().get("services") or {})


def _service_env(f: Facts) -> Outcome:
    missing = eff.missing_env_files(f)
    if missing:
        from authentik_lab.core.checks import Skip

        raise Skip(f"{missing[0]} does not exist yet, so the environment it gives cannot be judged (compose refuses to start without it)")
    return dsv.check_service_env(f.compose_doc(), f.effective().envs, eff.origins(f),
                                 str(f.env_path() or f.compose_path().parent / ".env"), lab=f.opts.compose is None,  # type: ignore[union-attr]
                                 interpolated=eff.required_refs(f))


def _env_required(f: Facts) -> Outcome:
    if f.opts.compose is None:  # authlab's own lab: `authlab init` fills its .env
        return denv.check_required(_env_file(f), f.env_lines(), f.env_unterminated())
    import os

    absence = f.env_absence()
    if absence is not None:  # e.g. the official file just downloaded: the .env is still to be made
        file = str(f.env_candidate())
        try:
            use = denv.env_file_use(f.file_doc(), f.interp_env(), str(f.compose_path().parent), file)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - an unreadable compose file: the compose checks report it
            use = denv.EnvFileUse()
        return denv.check_required_no_file(file, *absence, eff.required_refs(f), os.environ, _compose_file(f), use)
    return denv.check_required_compose(_env_file(f), f.env_lines(), eff.required_refs(f), os.environ, _compose_file(f),
                                       f.env_unterminated())


def _token_needed(f: Facts) -> bool:
    return not f.opts.token


def _code_env(f: Facts) -> Outcome:
    from authentik_lab.core.doctor.app_code import check_code_env
    from authentik_lab.services.doctor.app_code import code_view

    no_env = f.missing("app-env")
    code = code_view(f)
    if no_env and not code.reads:
        raise Skip(no_env)  # neither env files nor code: no app here, the same reason as the other app checks
    return check_code_env(code, f.app_env_files() if not no_env else [], g.server_view(f), f.opts.provider)


def _email_verified(f: Facts) -> Outcome:
    from authentik_lab.core.email_claims import check_unverified_email
    from authentik_lab.services.doctor.email import release, unverified_email_apps

    apps = unverified_email_apps(f)
    return check_unverified_email(apps, *(release(f) if apps else (None, None)))


# An unreadable compose file is one finding, not a crash in every check that reads it: the first selected check that
# reads it (compose.worker in a full run) reports it as a failure (compose.valid too, when compose runs), the others
# skip and point there (QA of issue 9). run_doctor names that check in Facts.read_failure_reporter.
READ_FAILURE_REPORTER = "compose.worker"
READS_FILE_ITSELF = ("compose.available", "compose.valid")


def reads_compose_file(check_id: str) -> bool:
    return check_id.startswith(("compose.", "runtime.")) and check_id not in READS_FILE_ITSELF


def _unreadable_is_one_finding(id: str, run: Run) -> Run:
    from authentik_lab.errors import ConfigError

    def wrapped(f: Facts) -> Outcome:
        try:
            return run(f)
        except ConfigError as exc:
            reporter = f.read_failure_reporter or READ_FAILURE_REPORTER
            if id != reporter:
                raise Skip(f"the compose file cannot be read (see {reporter})") from None
            fix = ("correct the file where the message points" if f.opts.compose is not None
                   else exc.hint or "correct the file where the message points")
            return Outcome(FAIL, f"the compose file cannot be read: {exc.message}", (), (Message(FAIL, exc.message, fix),))

    return wrapped


def _c(id: str, title: str, needs: tuple[str, ...], run: Run) -> Check:
    if reads_compose_file(id):
        run = _unreadable_is_one_finding(id, run)
    return Check(id, title, id.split(".", 1)[0], needs, run)


CATALOGUE: tuple[Check, ...] = (
    _c("engine.reachable", "Docker engine reachable", ("engine",), _engine),
    _c("compose.available", "Docker Compose available", ("docker",), _compose_available),
    _c("compose.valid", "Compose accepts the configuration", ("compose",), _compose_valid),
    _c("compose.worker", "Authentik worker service defined", ("compose",),
       lambda f: dsv.check_worker_present(f.compose_doc(), _compose_file(f))),
    _c("compose.service-env", "Server and worker share the secret key and database settings", ("compose",), _service_env),
    _c("compose.image-pinned", "Authentik image pinned, server and worker on one tag", ("compose",),
       lambda f: dc.check_image_pinned(f.compose_doc(), f.interp_env())),
    _c("compose.worker-root", "Authentik services not running as root", ("compose",),
       lambda f: dc.check_worker_root(f.compose_doc(), _compose_file(f), g.engine_kind(f).rootless)),
    _c("compose.docker-socket", "Docker socket not mounted", ("compose",),
       lambda f: dc.check_docker_socket(f.compose_doc(), _compose_file(f), f.interp_env())),
    _c("compose.public-ports", "Ports published on this machine only", ("compose",),
       lambda f: dc.check_public_ports(f.compose_doc(), _compose_file(f), f.interp_env())),
    _c("compose.bind-mount-owner", "Storage folders writable by the user Authentik runs as", ("compose",),
       lambda f: dm.check_bind_mount_owner(f.compose_doc(), _compose_file(f), f.interp_env(),
                                           str(f.compose_path().parent), g.path_stats(f), g.user_mapping(f))),  # type: ignore[union-attr]
    _c("compose.localtime", "/etc/localtime and /etc/timezone not mounted", ("compose",),
       lambda f: dc.check_localtime(f.compose_doc(), _compose_file(f), f.interp_env())),
    _c("compose.volume-targets", "Volumes where Authentik and PostgreSQL keep their files", ("compose",),
       lambda f: dv.check_volume_targets(f.compose_doc(), _compose_file(f), f.interp_env(), f.effective().envs)),
    _c("compose.release-fit", "Compose file fits the Authentik release it runs (Redis, upload folder)", ("compose",),
       lambda f: drel.check_release_fit(f.compose_doc(), _compose_file(f), f.interp_env(), f.effective().envs)),
    # needs the compose file only: with --compose, a missing .env is this check's finding, not a reason to skip
    _c("env.required", ".env has PG_PASS and AUTHENTIK_SECRET_KEY", ("compose",), _env_required),
    _c("env.secret-key-length", "AUTHENTIK_SECRET_KEY long enough", ("env",),
       lambda f: denv.check_secret_key_length(_env_file(f), f.env_lines())),
    _c("env.bootstrap", "Bootstrap token and password set", ("env",),
       lambda f: denv.check_bootstrap(_env_file(f), f.env_lines(), _token_needed(f), f.missing("api"))),
    _c("env.file-mode", ".env not readable by other users", ("env",),
       lambda f: denv.check_file_mode(_env_file(f), f.env_mode())),
    _c("runtime.containers", "Containers running and healthy", ("docker", "running"),
       lambda f: dr.check_containers(g.containers(f), _expected_services(f))),
    _c("runtime.logs", "No known failure in the logs", ("docker", "running"), lambda f: dr.check_logs(g.logs(f))),
    _c("runtime.worker", "Worker running", ("docker", "running"), lambda f: dr.check_worker(g.containers(f), _expected_services(f))),
    _c("runtime.ports", "Published ports answer as Authentik", ("docker", "running"), lambda f: dr.check_ports(g.port_probes(f), g.server_running(f))),
    _c("http.live", "Server alive (/-/health/live/)", ("api",), lambda f: dh.check_live(f.fetch(LIVE_PATH))),
    _c("http.ready", "Server ready (/-/health/ready/)", ("api",), lambda f: dh.check_ready(f.fetch(READY_PATH))),
    _c("http.token", "API token accepted", ("api",), _token),
    _c("http.worker-objects", "Default flows, scope mappings and certificate exist", ("api",),
       lambda f: dh.check_worker_objects(*g.worker_missing(f))),
    _c("http.clock-skew", "Server clock matches this machine", ("api",), _clock),
    _c("provider.redirect-uris", "Redirect URIs well-formed and matching the app", ("api",),
       lambda f: dp.check_redirect_uris(g.provider_facts(f))),
    _c("provider.scopes", "openid, email, profile, offline_access mappings attached", ("api",),
       lambda f: dp.check_scopes(g.provider_facts(f), g.server_facts(f))),
    _c("provider.signing-key", "Providers sign tokens with a key pair", ("api",),
       lambda f: dp.check_signing_key(g.provider_facts(f), g.server_facts(f))),
    _c("provider.application", "Each provider has its application", ("api",),
       lambda f: dp.check_application(g.provider_facts(f))),
    _c("provider.discovery", "Discovery and JWKS answer, consistent with the issuer", ("api",),
       lambda f: dp.check_discovery(g.provider_facts(f))),
    _c("app.issuer-form", "Issuer form right for the framework", ("app-env",),
       lambda f: appenv.check_issuer_form(f.app_env_files(), g.server_view(f))),
    _c("app.issuer-host", "Issuer host is the one the browser uses", ("app-env",),
       lambda f: appenv.check_issuer_host(f.app_env_files(), g.server_view(f))),
    _c("app.jwks-url", "JWKS URL is /application/o/<slug>/jwks/", ("app-env",),
       lambda f: appurls.check_jwks_url(f.app_env_files(), g.server_view(f))),
    _c("app.token-url", "Token URL is /application/o/token/", ("app-env",),
       lambda f: appurls.check_token_url(f.app_env_files(), g.server_view(f))),
    _c("app.client-credentials", "Client id and secret match a provider", ("app-env",),
       lambda f: appurls.check_client_credentials(f.app_env_files(), g.server_view(f))),
    _c("app.code-env", "Env variables the app's code reads are defined", (), _code_env),
    _c("app.email-verified", "Apps that require verified emails get them (Authentik 2025.10+ says false)", ("app-env", "api"),
       _email_verified),
)

# what a fix changes -> the facts to observe again before re-running the affected checks
FIX_INVALIDATES = {
    "compose-patch": ("compose_", "lab"),
    "chmod": ("env_",),
    "env-append": ("env_", "compose_", "lab"),
    "env-create": ("env_", "compose_", "lab"),
    "attach-scopes": ("all_providers", "providers", "provider_facts", "server_view"),
    "set-signing-key": ("all_providers", "providers", "provider_facts", "server_view", "GET /application/"),
    "app-env-issuer": ("app_env", "server_view"),
}

# what a fix changes -> the groups to re-run besides those of the checks it fixed: compose computes its view of the
# project from .env too (interpolation, COMPOSE_FILE, COMPOSE_PROFILES), so a changed .env changes the compose checks
FIX_RERUNS = {
    "env-append": ("compose",),
    "env-create": ("compose",),
}
