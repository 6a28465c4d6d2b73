"""Env reads in Python, found with the standard library's `ast`.

Recognised: `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")` (also `environ`/`getenv` imported from os),
and django-environ: `env("X")` / `env.str("X")` ... on a name bound to `environ.Env(...)`. The role comes from the
context: the dict key (`"client_id": ...`, allauth's `"secret"`, `"server_url"`), the keyword argument, or the
setting assigned (`OIDC_RP_CLIENT_ID = ...`, mozilla-django-oidc's names).
"""

from __future__ import annotations

import ast
from typing import Any

from authentik_lab.core.app_source import facts
from authentik_lab.core.app_source.model import EnvRead

_AUTH_IMPORTS = ("allauth", "mozilla_django_oidc", "authlib", "oidc", "social_core", "social_django")
_AUTH_SETTINGS = ("OIDC_", "SOCIALACCOUNT_", "AUTHLIB_", "SOCIAL_AUTH_")


class SyntaxProblem(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"syntax error near line {line}")
        self.line = line


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract(source: bytes, rel: str) -> list[EnvRead]:
    try:
        tree = ast.parse(source, filename=rel)
    except (SyntaxError, ValueError) as exc:
        raise SyntaxProblem(getattr(exc, "lineno", None) or 1) from None
    parents: dict[int, ast.AST] = {}
    candidates: list[ast.AST] = []  # subscripts and calls: classified once the imports are known
    os_names, environ_names, getenv_names, env_objects = {"os"}, set(), set(), set()
    env_classes: set[str] = set()
    environ_modules = {"environ"}
    auth_file = False
    assigns: list[ast.Assign] = []
    stack: list[ast.AST] = [tree]
    while stack:  # one pass (ast.walk would list each node's children a second time): parents, imports, candidates
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
            stack.append(child)
        if isinstance(node, (ast.Subscript, ast.Call)):
            candidates.append(node)
        elif isinstance(node, ast.Assign):
            assigns.append(node)
        elif isinstance(node, ast.ImportFrom) and node.module:
            auth_file = auth_file or node.module.startswith(_AUTH_IMPORTS)
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module == "os" and alias.name == "environ":
                    environ_names.add(local)
                elif node.module == "os" and alias.name == "getenv":
                    getenv_names.add(local)
                elif node.module == "environ" and alias.name == "Env":
                    env_classes.add(local)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                auth_file = auth_file or alias.name.startswith(_AUTH_IMPORTS)
                if alias.name == "environ" and alias.asname:
                    environ_modules.add(alias.asname)
    for node in assigns:
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        auth_file = auth_file or any(n.startswith(_AUTH_SETTINGS) or "AUTHENTIK" in n.upper() for n in names)
        fn = node.value.func if isinstance(node.value, ast.Call) else None
        is_env = (isinstance(fn, ast.Attribute) and fn.attr == "Env" and isinstance(fn.value, ast.Name) and fn.value.id in environ_modules) or (
            isinstance(fn, ast.Name) and fn.id in env_classes)
        if is_env:
            env_objects.update(names)

    def is_environ(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id in os_names:
            return True
        return isinstance(node, ast.Name) and node.id in environ_names

    reads: list[EnvRead] = []
    for node in candidates:
        name = how = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            name, how = _const_str(node.slice), "os.environ"
        elif isinstance(node, ast.Call) and node.args:
            fn = node.func
            first = _const_str(node.args[0])
            if isinstance(fn, ast.Attribute) and fn.attr == "get" and is_environ(fn.value):
                name, how = first, "os.environ.get"
            elif isinstance(fn, ast.Attribute) and fn.attr == "getenv" and isinstance(fn.value, ast.Name) and fn.value.id in os_names:
                name, how = first, "os.getenv"
            elif isinstance(fn, ast.Name) and fn.id in getenv_names:
                name, how = first, "os.getenv"
            elif isinstance(fn, ast.Name) and fn.id in env_objects:
                name, how = first, "environ.Env"
            elif isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id in env_objects and fn.attr in facts.DJANGO_ENVIRON_GETTERS:
                name, how = first, "environ.Env"
        if not name:
            continue
        role, evidence = _context(node, parents)
        if role is None:
            role, evidence = facts.role_of_name(name), "name"
        reads.append(EnvRead(name, rel, node.lineno, node.col_offset + 1, how or "", role, evidence if role else "", False, auth_file))
    return sorted(reads, key=lambda r: (r.line, r.col))


def _context(node: ast.AST, parents: dict[int, ast.AST]) -> tuple[str | None, str]:
    child: Any = node
    parent = parents.get(id(child))
    # wrappers that keep the value: `x or "default"`, `str(x)`
    while True:
        if isinstance(parent, ast.BoolOp):
            child, parent = parent, parents.get(id(parent))
        elif isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "str" and child in parent.args:
            child, parent = parent, parents.get(id(parent))
        else:
            break
    if isinstance(parent, ast.Dict):
        for key, value in zip(parent.keys, parent.values):
            if value is child:
                text = _const_str(key)
                role = facts.role_of_option(text, python=True) if text else None
                return (role, f"key {text!r}") if role else (None, "")
    if isinstance(parent, ast.keyword) and parent.arg:
        role = facts.role_of_option(parent.arg, python=True)
        return (role, f"argument {parent.arg}") if role else (None, "")
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        for target in targets:
            if isinstance(target, ast.Name):
                role = facts.role_of_option(target.id, python=True) or facts.role_of_name(target.id)
                if role:
                    return role, f"setting {target.id}"
    return None, ""
