"""Read-only facts from the Docker engine (docker SDK): is it reachable, how are a project's containers, recent logs.

Containers are found by the labels compose puts on them (`com.docker.compose.project` / `.service`), which
v1 and v2 both set, so this works whichever compose binary started them. `docker` is imported lazily:
the SDK pulls in requests/urllib3 and would slow down `authlab --help`.
"""

from __future__ import annotations

from typing import Any, Callable

from authentik_lab.adapters.compose import DOCKER_HINT, docker_location, unreachable_message
from authentik_lab.core.readiness import ContainerState, EngineInfo
from authentik_lab.errors import EngineError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class Engine:
    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            with _mapped("connect to"):
                if self._factory is not None:
                    self._client = self._factory()
                else:
                    import docker

                    self._client = docker.from_env(timeout=15)
        return self._client

    def reachable(self) -> bool:
        try:
            with _mapped("ping"):
                return bool(self.client.ping())
        except EngineError:
            return False

    def require(self) -> None:
        with _mapped("ping"):
            self.client.ping()

    def info(self) -> EngineInfo:
        """Version, rootless or not, OS and architecture (`docker info`)."""
        with _mapped("read facts from"):
            raw = self.client.info()
            try:
                version = self.client.version()
            except Exception:  # noqa: BLE001 - the version only tells Podman from Docker; info alone still answers
                version = {}
        return info_of(raw, version)

    def containers(self, project: str) -> list[ContainerState]:
        with _mapped("list containers on"):
            found = self.client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        return sorted((state_of(c.attrs) for c in found), key=lambda s: (s.service, s.name))

    def volume_created(self, name: str) -> str | None:
        """The `CreatedAt` of the volume of that exact name (`docker volume inspect NAME`), or None without one."""
        from docker.errors import NotFound

        with _mapped("inspect volumes on"):
            try:
                volume = self.client.volumes.get(name)
            except NotFound:
                return None
        return str(volume.attrs.get("CreatedAt") or volume.id)

    def remove_volume(self, name: str) -> None:
        """Delete the volume of that name (gone already is fine)."""
        from docker.errors import NotFound

        with _mapped("remove volumes on"):
            try:
                self.client.volumes.get(name).remove(force=True)
            except NotFound:
                pass

    def image_id(self, ref: str) -> str | None:
        """The local image's id (sha256:...) for a reference, or None when it is not here (not pulled yet)."""
        from docker.errors import ImageNotFound

        with _mapped("inspect images on"):
            try:
                return str(self.client.images.get(ref).id)
            except ImageNotFound:
                return None

    def volumes(self, project: str) -> list[str]:
        """Names of the volumes compose created for the project (what `down --volumes` deletes), sorted."""
        with _mapped("list volumes on"):
            found = self.client.volumes.list(filters={"label": f"{PROJECT_LABEL}={project}"})
        return sorted(v.name for v in found)

    def logs(self, project: str, service: str, tail: int = 60, since: float | None = None) -> list[str]:
        """The last lines (stdout and stderr) of the service's newest container, optionally only those written
        after `since` (epoch seconds); [] when it has none."""
        with _mapped("read container logs from"):
            found = self.client.containers.list(
                all=True, filters={"label": [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={service}"]}
            )
            if not found:
                return []
            newest = max(found, key=lambda c: c.attrs.get("Created", ""))
            extra = {"since": int(since)} if since else {}
            raw = newest.logs(stdout=True, stderr=True, tail=tail, **extra)
        return raw.decode("utf-8", "replace").splitlines()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def state_of(attrs: dict) -> ContainerState:
    """A container's inspect document (as the SDK gives it) -> the few facts readiness needs."""
    st = attrs.get("State") or {}
    if isinstance(st, str):  # the sparse list form has only the status word
        st = {"Status": st}
    labels = (attrs.get("Config") or {}).get("Labels") or attrs.get("Labels") or {}
    health = (st.get("Health") or {}).get("Status") or None
    status = st.get("Status") or ""
    return ContainerState(
        service=labels.get(SERVICE_LABEL, ""),
        name=(attrs.get("Name") or "").lstrip("/"),
        state=status,
        health=health,
        exit_code=st.get("ExitCode") if status in ("exited", "dead") else None,
        restart_count=int(attrs.get("RestartCount") or 0),
        error=str(st.get("Error") or "").strip(),
    )


def info_of(raw: dict, version: dict | None = None) -> EngineInfo:
    """`docker info` (and `docker version`) as the SDK gives them -> the facts doctor reports. Podman's
    Docker-compatible API names itself in the version's Components / Platform ("Podman Engine")."""
    # SecurityOptions entries look like "name=seccomp,profile=builtin" and "name=rootless"
    options = [part for entry in raw.get("SecurityOptions") or [] for part in str(entry).split(",")]
    version = version or {}
    names = [str((version.get("Platform") or {}).get("Name") or "")] + [str(c.get("Name") or "") for c in version.get("Components") or []
                                                                      if isinstance(c, dict)]
    podman = any("podman" in n.lower() for n in names)
    return EngineInfo(
        version=str(raw.get("ServerVersion") or "?"),
        rootless="name=rootless" in options,
        os=str(raw.get("OperatingSystem") or "?"),
        os_type=str(raw.get("OSType") or "?"),
        arch=str(raw.get("Architecture") or "?"),
        flavour="podman" if podman else "docker",
    )


class _mapped:
    """DockerException (and the requests errors under it) -> EngineError with a hint about starting Docker."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, EngineError):
            return False
        try:
            from docker.errors import DockerException
        except ImportError:  # pragma: no cover - docker is a dependency
            DockerException = ()  # type: ignore[assignment]  # noqa: N806
        import requests

        if not isinstance(exc, (DockerException, requests.exceptions.RequestException, ConnectionError)):
            return False
        try:
            from docker.errors import APIError
        except ImportError:  # pragma: no cover
            APIError = ()  # type: ignore[assignment]  # noqa: N806
        if isinstance(exc, APIError):
            # the engine answered but refused: that is not "unreachable", and its own words say why
            raise EngineError(f"the Docker engine refused to {self.what.replace(' from', '').replace(' on', '')}: {_short(exc)}",
                              hint=DOCKER_HINT) from exc
        if _permission_denied(exc):
            raise EngineError(f"no permission to use the Docker engine at {docker_location()}",
                              hint="add your user to the `docker` group (then log in again), or use rootless Docker") from exc
        # no Python exception repr here: the SDK's text ("Error while fetching server API version: ('Connection
        # aborted.', FileNotFoundError(2, ...))") says nothing a user can act on
        raise EngineError(unreachable_message(), hint=DOCKER_HINT) from exc


def _permission_denied(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # the SDK wraps requests wraps urllib3 wraps the OSError
        if seen is None:
            return False
        if isinstance(seen, PermissionError) or "Permission denied" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
