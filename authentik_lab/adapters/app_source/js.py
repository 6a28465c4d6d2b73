"""Env reads in JavaScript/TypeScript, found with the tree-sitter grammars (a real parser, no pattern matching on text).

Recognised: `<x>.env.NAME` and `<x>.env["NAME"]` (process.env, import.meta.env, Hono's c.env), destructuring
`const { NAME } = <x>.env`, `<x>.env.get("NAME")` (Deno), SvelteKit's `$env/static/*` imports and `env.NAME`
from `$env/dynamic/*`, Hono's `env(c).NAME`. The role of each read comes from its context (core.app_source.facts):
the option key it is the value of, the call it is passed to, or, for a binding, where that binding is used.
tree-sitter is imported on first use only (`authlab --help` must not pay for it).
"""

from __future__ import annotations

import threading
from typing import Any

from authentik_lab.adapters.app_source.js_context import classify, trace
from authentik_lab.adapters.app_source.js_context import providers as providers_of
from authentik_lab.core.app_source import facts
from authentik_lab.core.app_source.model import EnvRead, ProviderUse

# Deliberately small patterns: a query's compile time grows fast with nesting, and it is paid on every run.
# Each `env` name found is then placed by walking up its (few) parents in Python.
_QUERY = """
((property_identifier) @env (#eq? @env "env"))
((identifier) @envid (#eq? @envid "env"))
(import_statement source: (string (string_fragment) @source)) @import
"""
_USES = """
(pair key: (_) @key value: (identifier) @value)
(shorthand_property_identifier) @short
(arguments (identifier) @arg)
(variable_declarator name: (identifier) @decl value: (identifier) @init)
"""

_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any, Any]] = {}
_uses_cache: dict[str, Any] = {}


def _kind(ext: str) -> str:
    return "tsx" if ext == ".tsx" else "ts" if ext in (".ts", ".mts", ".cts") else "js"


def uses_query(ext: str) -> Any:
    """The query for where bindings are used; compiled only for files that have bindings."""
    kind = _kind(ext)
    with _lock:
        if kind not in _uses_cache:
            import tree_sitter as ts

            _uses_cache[kind] = ts.Query(_cache[kind][0].language, _USES)
        return _uses_cache[kind]


def grammar(ext: str) -> tuple[Any, Any, Any]:
    """(parser, env query, language) for a file extension; built once per grammar."""
    kind = _kind(ext)
    with _lock:
        if kind not in _cache:
            import tree_sitter as ts

            if kind == "js":
                import tree_sitter_javascript as tsj

                lang = ts.Language(tsj.language())
            else:
                import tree_sitter_typescript as tst

                lang = ts.Language(tst.language_tsx() if kind == "tsx" else tst.language_typescript())
            _cache[kind] = (ts.Parser(lang), ts.Query(lang, _QUERY), lang)
        return _cache[kind]


class SyntaxProblem(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"syntax error near line {line}")
        self.line = line


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _first_error(node: Any) -> int | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def extract(source: bytes, rel: str, ext: str) -> tuple[list[EnvRead], list[ProviderUse], set[str]]:
    """Reads, Authentik provider uses and imported modules of one file; SyntaxProblem when it does not parse."""
    import tree_sitter as ts

    parser, query, _ = grammar(ext)
    tree = parser.parse(source)
    if tree.root_node.has_error:
        raise SyntaxProblem(_first_error(tree.root_node) or 1)
    captures = ts.QueryCursor(query).captures(tree.root_node)
    imports = captures.get("import", [])
    modules = {_text(n) for n in captures.get("source", [])}
    auth_file = any(mod.startswith(facts.AUTH_MODULES) for mod in modules)
    bindings: dict[str, tuple[str, Any, str]] = {}  # local name -> (env name, node to report, how)
    dynamic_env = adapter_env = False
    authentik_locals: dict[str, str] = {}
    for node in imports:
        mod = _text(node.child_by_field_name("source")).strip("'\"")
        if mod in facts.SVELTEKIT_STATIC:
            for spec in _specifiers(node):
                bindings[spec[1]] = (spec[0], spec[2], mod)
        elif mod in facts.SVELTEKIT_DYNAMIC:
            dynamic_env = dynamic_env or any(s[0] == "env" for s in _specifiers(node))
        elif mod == facts.HONO_ADAPTER:
            adapter_env = adapter_env or any(s[0] == "env" for s in _specifiers(node))
        elif mod.endswith(facts.AUTHENTIK_PROVIDER_MODULE_SUFFIX):
            for spec in _specifiers(node):
                authentik_locals[spec[1]] = mod
    providers, provider_ranges = providers_of(tree.root_node, authentik_locals, rel) if authentik_locals else ([], [])
    reads: list[EnvRead] = []

    def add(name: str, node: Any, how: str, role: str | None, evidence: str, use: Any = None) -> None:
        at = use if use is not None else node
        inside = any(a <= at.start_byte and at.end_byte <= b for a, b in provider_ranges)
        reads.append(EnvRead(name, rel, node.start_point[0] + 1, node.start_point[1] + 1, how, role, evidence, inside, auth_file))

    # `<x>.env` then what is done with it: `.NAME`, `["NAME"]`, `.get("NAME")`, `const { NAME } = ...`
    for prop in captures.get("env", []):
        env_obj = prop.parent
        if env_obj is None or env_obj.type != "member_expression" or env_obj.child_by_field_name("property") != prop:
            continue
        how = _text(env_obj)
        _env_object_use(env_obj, how, add, bindings)
    # `env.NAME` ($env/dynamic/*) and `env(c).NAME` / `const { NAME } = env(c)` (hono/adapter)
    for ident in captures.get("envid", []):
        parent = ident.parent
        if parent is None:
            continue
        if dynamic_env and parent.type == "member_expression" and parent.child_by_field_name("object") == ident:
            _env_object_use(ident, "$env/dynamic", add, bindings)
        elif adapter_env and parent.type == "call_expression" and parent.child_by_field_name("function") == ident:
            _env_object_use(parent, "env(c)", add, bindings)
    if bindings:
        trace(tree.root_node, uses_query(ext), bindings, add)
    return sorted(reads, key=lambda r: (r.line, r.col)), providers, modules


def _env_object_use(obj: Any, how: str, add: Any, bindings: dict) -> None:
    """`obj` is an env object (`process.env`, `c.env`, `env`, `env(c)`): report the variable its parent reads."""
    parent = obj.parent
    if parent is None:
        return
    if parent.type == "member_expression" and parent.child_by_field_name("object") == obj:
        prop = parent.child_by_field_name("property")
        if prop is None:
            return
        name = _text(prop)
        call = parent.parent
        if name == "get" and call is not None and call.type == "call_expression" and call.child_by_field_name("function") == parent:
            args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
            if args and args[0].type == "string":
                classify(call, _text(args[0]).strip("'\""), how, add, bindings)  # Deno.env.get("NAME")
            return
        classify(parent, name, how, add, bindings)
    elif parent.type == "subscript_expression" and parent.child_by_field_name("object") == obj:
        index = parent.child_by_field_name("index")
        if index is not None and index.type == "string":
            classify(parent, _text(index).strip("'\""), how, add, bindings)
    elif parent.type == "variable_declarator" and parent.child_by_field_name("value") == obj:
        pattern = parent.child_by_field_name("name")
        if pattern is not None and pattern.type == "object_pattern":
            for env_name, local, node in _pattern_names(pattern):
                bindings[local] = (env_name, node, how)


def _specifiers(import_node: Any) -> list[tuple[str, str, Any]]:
    """(imported name, local name, node) of an import statement; the default import is named 'default'."""
    out: list[tuple[str, str, Any]] = []
    for clause in (c for c in import_node.named_children if c.type == "import_clause"):
        for child in clause.named_children:
            if child.type == "identifier":
                out.append(("default", _text(child), child))
            elif child.type == "named_imports":
                for spec in (s for s in child.named_children if s.type == "import_specifier"):
                    name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                    out.append((_text(name), _text(alias or name), spec))
    return out


def _pattern_names(pattern: Any) -> list[tuple[str, str, Any]]:
    """(env name, local name, node) of `{ A, B: b, C = "x" }`."""
    out: list[tuple[str, str, Any]] = []
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            out.append((_text(child), _text(child), child))
        elif child.type == "object_assignment_pattern":
            left = child.child_by_field_name("left")
            if left is not None and left.type == "shorthand_property_identifier_pattern":
                out.append((_text(left), _text(left), left))
        elif child.type == "pair_pattern":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier":
                out.append((_text(key).strip("'\""), _text(value), child))
    return out
