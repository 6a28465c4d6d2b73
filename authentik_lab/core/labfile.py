"""`authlab.yaml`: parse and validate the lab file, pointing every problem at `file:line:col` and a key path.

The file is read as a YAML *node* tree (not plain data) so each value keeps its position; a typo in a key
or a string where a list belongs is reported as `authlab.yaml:12:5: providers[0].redirect_uris[1]: ...`.
Validation is complete before anything talks to Authentik, so a malformed file never changes the server.
All problems are collected and reported together, the first one as the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable, Mapping

from authentik_lab.core.yaml_nodes import INVALID, Checker, LabFileError, Problem, url_problem

__all__ = ["LabFile", "LabFileError", "Problem", "ProviderSpec", "GroupSpec", "UserSpec", "ServiceAccountSpec", "parse", "unknown_group_refs", "url_problem"]

DEFAULT_FILE = "authlab.yaml"
CLIENT_TYPES = ("confidential", "public")
CONSENT_MODES = ("implicit", "explicit")
SUB_MODES = ("hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn")
PASSWORD_GENERATE = "generate"
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VERSION_RE = re.compile(r"^\d{4}\.\d{1,2}(\.\d+)?$")


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    preset: str = "generic"
    app_url: str | None = None
    redirect_uris: tuple[str, ...] = ()  # empty: the preset's callback under app_url
    regex: bool = False
    offline_access: bool = True
    client_type: str = "confidential"
    consent: str = "implicit"
    sub_mode: str = "hashed_user_id"
    client_id: str | None = None  # fixed, so app config can be committed
    slug: str | None = None
    adopt: bool = False  # take over an existing provider/application authlab did not create (then marked)
    # the app's own variable names: `ci` exports the provider's values under them too (role -> name pairs, overriding
    # what a scan of app_dir finds); app_dir is relative to the lab file
    env_names: tuple[tuple[str, str], ...] = ()
    app_dir: str | None = None
    verified_email: bool = False  # authlab's email mapping asserting email_verified (core/email_claims.py)


@dataclass(frozen=True)
class GroupSpec:
    name: str


@dataclass(frozen=True)
class UserSpec:
    username: str
    email: str = ""
    name: str = ""
    groups: tuple[str, ...] = ()
    password_env: str | None = None  # None: generated once and kept in the lab directory

    @property
    def display_name(self) -> str:
        return self.name or self.username


@dataclass(frozen=True)
class ServiceAccountSpec:
    name: str


@dataclass(frozen=True)
class LabFile:
    path: str
    version: str | None = None
    port: int | None = None
    providers: tuple[ProviderSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()
    service_accounts: tuple[ServiceAccountSpec, ...] = ()
    # key path (e.g. `users[1].groups[0]`) -> file:line:col from parsing, for problems found later
    # (an unset password variable, a group the server lacks, a name taken on the server)
    locations: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def provider(self, name: str) -> ProviderSpec | None:
        return next((p for p in self.providers if p.name == name), None)

    def user(self, username: str) -> UserSpec | None:
        return next((u for u in self.users if u.username == username), None)

    def service_account(self, name: str) -> ServiceAccountSpec | None:
        return next((s for s in self.service_accounts if s.name == name), None)

    def where(self, path: str) -> str:
        """file:line:col of a key path, else of its nearest parent that has one, else the file name."""
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path.rsplit(".", 1)[0] if "." in path else (path.rsplit("[", 1)[0] if "[" in path else "")
        return self.path

    def key_of(self, kind: str, name: str) -> str | None:
        """The key path naming a plan item (`provider web` -> `providers[0].name`), None when not in the file."""
        sections = {
            "provider": ("providers", "name", [p.name for p in self.providers]),
            "group": ("groups", "name", [g.name for g in self.groups]),
            "user": ("users", "username", [u.username for u in self.users]),
            "service_account": ("service_accounts", "name", [s.name for s in self.service_accounts]),
        }
        section, key, names = sections.get(kind, ("", "", []))
        return f"{section}[{names.index(name)}].{key}" if name in names else None

    def located(self, kind: str, name: str, message: str) -> str:
        """`file:line:col: message` for a problem about the named item (the plain file name when it is not in the file)."""
        path = self.key_of(kind, name)
        return f"{self.where(path) if path else self.path}: {message}"


def unknown_group_refs(lab: LabFile, known: Iterable[str]) -> list[Problem]:
    """Groups a user names that neither the file defines nor `known` (the server's) holds, at their file:line:col."""
    known = {g.name for g in lab.groups} | set(known)
    return [
        Problem(lab.where(f"users[{i}].groups[{j}]"), f"users[{i}].groups[{j}]",
                f"user {u.username!r} names group {g!r}, which is neither in the file's groups nor on the server")
        for i, u in enumerate(lab.users) for j, g in enumerate(u.groups) if g not in known
    ]


# --- the schema -----------------------------------------------------------------------------------


def parse(text: str, filename: str = DEFAULT_FILE, presets: Collection[str] | None = None) -> LabFile:
    """Parse and fully validate `text`; raises LabFileError listing every problem (file:line:col: path: what)."""
    import yaml

    check = Checker(filename)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        reason = getattr(exc, "problem", None) or str(exc)
        raise LabFileError([Problem(where, "", f"not valid YAML: {reason}")]) from None
    if root is None:
        raise LabFileError([Problem(f"{filename}:1:1", "", "the file is empty")])

    def provider(node: Any, path: str) -> Any:
        fields: dict[str, Callable[[Any, str], Any]] = {
            "name": lambda n, p: check.matching(n, p, SLUG_RE, "use letters, digits, '-' and '_' only"),
            "preset": (lambda n, p: check.choice(n, p, presets)) if presets else check.string,
            "app_url": check.url,
            "redirect_uris": lambda n, p: check.seq(n, p, check.string),
            "regex": check.boolean,
            "offline_access": check.boolean,
            "client_type": lambda n, p: check.choice(n, p, CLIENT_TYPES),
            "consent": lambda n, p: check.choice(n, p, CONSENT_MODES),
            "sub_mode": lambda n, p: check.choice(n, p, SUB_MODES),
            "client_id": lambda n, p: _max_len(check, n, p, 255),
            "slug": lambda n, p: check.matching(n, p, SLUG_RE, "a slug may use letters, digits, '-' and '_' only"),
            "adopt": check.boolean,
            "env_names": lambda n, p: _env_names(check, n, p),
            "app_dir": check.string,
            "verified_email": check.boolean,
        }
        values = check.mapping(node, path, fields, required=("name",))
        if "name" not in values:
            return INVALID
        _check_redirects(check, node, path, values)
        if "redirect_uris" in values:
            values["redirect_uris"] = tuple(values["redirect_uris"])
        return ProviderSpec(**values)

    def user(node: Any, path: str) -> Any:
        fields: dict[str, Callable[[Any, str], Any]] = {
            "username": lambda n, p: _max_len(check, n, p, 150),
            "email": lambda n, p: check.matching(n, p, re.compile(r"^[^@\s]+@[^@\s]+$"), "expected an email address"),
            "name": check.string,
            "groups": lambda n, p: check.seq(n, p, check.string),
            "password_env": lambda n, p: check.matching(n, p, ENV_NAME_RE, "expected an environment variable name"),
            "password": lambda n, p: _password(check, n, p),
        }
        values = check.mapping(node, path, fields, required=("username",))
        if "password_env" in values and values.pop("password", None):
            check.fail(node, path, "give either password_env or password: generate, not both")
        values.pop("password", None)
        return UserSpec(**values) if "username" in values else INVALID

    fields: dict[str, Callable[[Any, str], Any]] = {
        "version": lambda n, p: check.matching(n, p, VERSION_RE, "expected an Authentik release like 2026.5.6", numbers=True),
        "port": lambda n, p: check.integer(n, p, 1, 65535),
        "providers": lambda n, p: check.seq(n, p, provider),
        "groups": lambda n, p: check.seq(n, p, lambda gn, gp: _named(check, gn, gp, GroupSpec)),
        "users": lambda n, p: check.seq(n, p, user),
        "service_accounts": lambda n, p: check.seq(n, p, lambda sn, sp: _named(check, sn, sp, ServiceAccountSpec)),
    }
    values = check.mapping(root, "", fields)
    lab = LabFile(path=filename, **values, locations=dict(check.locations))
    _check_unique(check, lab)
    if check.problems:
        raise LabFileError(sorted(check.problems, key=_position))
    return lab


def _position(problem: Problem) -> tuple[int, int]:
    _, line, col = problem.location.rsplit(":", 2)
    return int(line), int(col)


def _max_len(check: Checker, node: Any, path: str, limit: int) -> Any:
    value = check.string(node, path, numbers=True)
    if value is not INVALID and len(value) > limit:
        check.fail(node, path, f"at most {limit} characters, got {len(value)}")
        return INVALID
    return value


def _env_names(check: Checker, node: Any, path: str) -> Any:
    """`env_names: {client_id: AUTHENTIK_CLIENT_ID, ...}`: keys are roles (an unknown one gets a suggestion)."""
    from authentik_lab.core.app_source.facts import ROLES

    name = lambda n, p: check.matching(n, p, ENV_NAME_RE, "expected an environment variable name")  # noqa: E731
    values = check.mapping(node, path, {role: name for role in ROLES})
    return tuple(values.items())


def _password(check: Checker, node: Any, path: str) -> Any:
    value = check.string(node, path)
    if value is not INVALID and value != PASSWORD_GENERATE:
        # a literal password in a committed file leaks; CI secrets arrive as environment variables
        check.fail(node, path, "only 'generate' is allowed here; put a fixed password in an environment variable and use password_env")
        return INVALID
    return value


def _named(check: Checker, node: Any, path: str, cls: type) -> Any:
    values = check.mapping(node, path, {"name": check.string}, required=("name",))
    return cls(**values) if "name" in values else INVALID


def _check_redirects(check: Checker, node: Any, path: str, values: dict[str, Any]) -> None:
    import yaml

    uris_node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "redirect_uris"), None)
    if uris_node is None or not isinstance(uris_node, yaml.SequenceNode):
        return
    regex = values.get("regex", False)
    for i, item in enumerate(uris_node.value):
        if not isinstance(item, yaml.ScalarNode) or not item.tag.endswith(":str"):
            continue  # wrong types were reported by the walker already
        sub = f"{path}.redirect_uris[{i}]"
        if regex:
            try:
                re.compile(item.value)
            except re.error as exc:
                check.fail(item, sub, f"not a valid regular expression: {exc}")
            continue
        problem = url_problem(item.value)
        if problem:
            check.fail(item, sub, problem)
        elif any(ch in item.value for ch in "*^$|\\"):
            check.fail(item, sub, "looks like a regular expression; set `regex: true` on the provider for regex matching")


def _check_unique(check: Checker, lab: LabFile) -> None:
    """Names are natural keys on the server, so a duplicate would make two entries fight over one object.

    Each problem points at the repeated value itself (`users[1].username`), not at its list item.
    """

    def dupes(section: str, values: list[tuple[str, str | None]], what: str) -> None:
        seen: set[str] = set()
        for i, (key, value) in enumerate(values):
            if value is None:
                continue
            if value in seen:
                path = f"{section}[{i}].{key}"
                check.fail_at(lab.where(path), path, f"duplicate {what} {value!r}")
            seen.add(value)

    dupes("providers", [("name", p.name) for p in lab.providers], "provider name")
    dupes("providers", [("slug" if p.slug else "name", p.slug or p.name) for p in lab.providers], "application slug")
    dupes("providers", [("client_id", p.client_id) for p in lab.providers], "client_id")
    dupes("groups", [("name", g.name) for g in lab.groups], "group name")
    dupes("users", [("username", u.username) for u in lab.users], "username")
    usernames = {u.username for u in lab.users}
    for i, sa in enumerate(lab.service_accounts):
        if sa.name in usernames:
            path = f"service_accounts[{i}].name"
            check.fail_at(lab.where(path), path, f"{sa.name!r} is also a user's username")
    dupes("service_accounts", [("name", s.name) for s in lab.service_accounts], "service account")
