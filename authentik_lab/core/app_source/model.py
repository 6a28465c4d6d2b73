"""What a scan of an app's source found: env reads with their context, Authentik provider uses, dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvRead:
    """One place where the code reads an environment variable.

    `role` is None when the context says nothing about it (e.g. `process.env.NODE_ENV`); `evidence` says how the
    role was told (`option clientId`, `createRemoteJWKSet()`, `fetch()`, `setting OIDC_RP_CLIENT_ID`, `name`).
    `in_provider`: inside the options of an Authentik provider call; `auth_file`: the file imports an OIDC library
    (or, in Python, holds OIDC settings). Lines and columns are 1-based.
    """

    name: str
    file: str  # relative to the app folder, with '/'
    line: int
    col: int
    how: str  # process.env | import.meta.env | c.env | $env/static/private | os.environ | os.getenv | environ.Env ...
    role: str | None = None
    evidence: str = ""
    in_provider: bool = False
    auth_file: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ProviderUse:
    """An Authentik provider from next-auth / @auth/* used in the code (`Authentik({...})` or bare `Authentik`).

    `options` holds the option keys given; None when they cannot be known statically (a spread, a variable).
    """

    file: str
    line: int
    module: str
    options: frozenset[str] | None = frozenset()
    provider_id: str | None = None  # the `id:` option when it is a string literal

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ScanResult:
    root: str
    reads: tuple[EnvRead, ...] = ()
    providers: tuple[ProviderUse, ...] = ()
    modules: frozenset[str] = frozenset()  # module specifiers imported by the scanned JS/TS files
    notes: tuple[str, ...] = ()  # unparseable files, limits reached: each one line for the user
    files: int = 0  # source files looked at
    parsed: int = 0  # of those, files that could read env and were parsed


@dataclass(frozen=True)
class Dependencies:
    """The app's declared dependencies: npm name -> version range; Python distribution names (normalised)."""

    npm: dict[str, str] = field(default_factory=dict)
    python: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()  # where they were read (package.json, requirements.txt, pyproject.toml)
    installed: dict[str, str] = field(default_factory=dict)  # npm name -> version in node_modules, when present
