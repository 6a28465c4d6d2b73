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

from authentik_lab.core.app_source import facts
from authentik_lab.core.app_source.model import EnvRead, ProviderUse

_QUERY = """
((member_expression object: (member_expression property: (property_identifier) @_e) property: (property_identifier) @dot) @read
 (#eq? @_e "env"))
((subscript_expression object: (member_expression property: (property_identifier) @_e) index: (string (string_fragment) @sub)) @read
 (#eq? @_e "env"))
((variable_declarator name: (object_pattern) @pattern value: (member_expression property: (property_identifier) @_e))
 (#eq? @_e "env"))
((call_expression function: (member_expression object: (member_expression property: (property_identifier) @_e) property: (property_identifier) @_g)
   arguments: (arguments . (string (string_fragment) @get))) @read
 (#eq? @_e "env") (#eq? @_g "get"))
((member_expression object: (identifier) @_o property: (property_identifier) @dyn) @read (#eq? @_o "env"))
((member_expression object: (call_expression function: (identifier) @_f) property: (property_identifier) @adapter) @read (#eq? @_f "env"))
((variable_declarator name: (object_pattern) @adapter_pattern value: (call_expression function: (identifier) @_f)) (#eq? @_f "env"))
(import_statement source: (string (string_fragment) @source)) @import
"""
_USES = """
(pair key: (_) @key value: (identifier) @value)
(shorthand_property_identifier) @short
(arguments (identifier) @arg)
(variable_declarator name: (identifier) @decl value: (identifier) @init)
"""
_TRANSPARENT = {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression", "type_assertion"}

_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any, Any]] = {}


def grammar(ext: str) -> tuple[Any, Any, Any]:
    """(parser, env query, uses query) for a file extension; built once per grammar."""
    kind = "tsx" if ext == ".tsx" else "ts" if ext in (".ts", ".mts", ".cts") else "js"
    with _lock:
        if kind not in _cache:
            import tree_sitter as ts

            if kind == "js":
                import tree_sitter_javascript as tsj

                lang = ts.Language(tsj.language())
            else:
                import tree_sitter_typescript as tst

                lang = ts.Language(tst.language_tsx() if kind == "tsx" else tst.language_typescript())
            _cache[kind] = (ts.Parser(lang), ts.Query(lang, _QUERY), ts.Query(lang, _USES))
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

    parser, query, uses_query = grammar(ext)
    tree = parser.parse(source)
    if tree.root_node.has_error:
        raise SyntaxProblem(_first_error(tree.root_node) or 1)
    matches = ts.QueryCursor(query).matches(tree.root_node)
    imports = [m for _, m in matches if "import" in m]
    modules = {_text(m["source"][0]) for m in imports}
    auth_file = any(mod.startswith(facts.AUTH_MODULES) for mod in modules)
    bindings: dict[str, tuple[str, Any, str]] = {}  # local name -> (env name, node to report, how)
    dynamic_env = adapter_env = False
    authentik_locals: dict[str, str] = {}
    for m in imports:
        mod = _text(m["source"][0])
        if mod in facts.SVELTEKIT_STATIC:
            for spec in _specifiers(m["import"][0]):
                bindings[spec[1]] = (spec[0], spec[2], mod)
        elif mod in facts.SVELTEKIT_DYNAMIC:
            dynamic_env = dynamic_env or any(s[0] == "env" for s in _specifiers(m["import"][0]))
        elif mod == facts.HONO_ADAPTER:
            adapter_env = adapter_env or any(s[0] == "env" for s in _specifiers(m["import"][0]))
        elif mod.endswith(facts.AUTHENTIK_PROVIDER_MODULE_SUFFIX):
            for spec in _specifiers(m["import"][0]):
                authentik_locals[spec[1]] = mod
    providers, provider_ranges = _providers(tree.root_node, uses_query, authentik_locals, rel) if authentik_locals else ([], [])
    reads: list[EnvRead] = []

    def add(name: str, node: Any, how: str, role: str | None, evidence: str, use: Any = None) -> None:
        at = use if use is not None else node
        inside = any(a <= at.start_byte and at.end_byte <= b for a, b in provider_ranges)
        reads.append(EnvRead(name, rel, node.start_point[0] + 1, node.start_point[1] + 1, how, role, evidence, inside, auth_file))

    for _, m in matches:
        if "dot" in m or "sub" in m or "get" in m:
            read = m["read"][0]
            name = _text((m.get("dot") or m.get("sub") or m.get("get"))[0])
            if "dot" in m and name == "get" and read.parent is not None and read.parent.type == "call_expression":
                continue  # `Deno.env.get("X")`: reported by the "get" pattern with the real name
            if "get" in m:
                how = _text(read.child_by_field_name("function").child_by_field_name("object"))
            else:
                how = _text(read.child_by_field_name("object"))
            _classify(read, name, how, add, bindings)
        elif "dyn" in m and dynamic_env:
            _classify(m["read"][0], _text(m["dyn"][0]), "$env/dynamic", add, bindings)
        elif "adapter" in m and adapter_env:
            _classify(m["read"][0], _text(m["adapter"][0]), "env(c)", add, bindings)
        elif "pattern" in m or ("adapter_pattern" in m and adapter_env):
            how = "env(c)" if "adapter_pattern" in m else _text(m["_e"][0].parent.child_by_field_name("object")) + ".env"
            for env_name, local, node in _pattern_names((m.get("pattern") or m["adapter_pattern"])[0]):
                bindings[local] = (env_name, node, how)
    if bindings:
        _trace(tree.root_node, uses_query, bindings, add)
    return reads, providers, modules


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


def _climb(node: Any) -> tuple[Any, Any]:
    """Skip wrappers that keep the value (parentheses, `!`, `as`, `?? default`, `new URL(x)`): (node, its context)."""
    while True:
        parent = node.parent
        if parent is None:
            return node, None
        if parent.type in _TRANSPARENT:
            node = parent
            continue
        if parent.type == "binary_expression":
            op = parent.child_by_field_name("operator")
            if op is not None and op.type in ("??", "||") and parent.child_by_field_name("left") == node:
                node = parent
                continue
        if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "new_expression":
            ctor = parent.parent.child_by_field_name("constructor")
            if ctor is not None and _text(ctor) == "URL":
                node = parent.parent
                continue
        return node, parent


def _callee(call: Any) -> str:
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "member_expression":
        prop = fn.child_by_field_name("property")
        return _text(prop) if prop is not None else ""
    return _text(fn)


def context_role(node: Any, name: str) -> tuple[str | None, str, str | None]:
    """(role, evidence, local binding) of a value node from where it sits."""
    node, parent = _climb(node)
    if parent is None:
        return None, "", None
    if parent.type == "pair" and parent.child_by_field_name("value") == node:
        key = _text(parent.child_by_field_name("key")).strip("'\"`")
        role = facts.role_of_option(key)
        return (role, f"option {key}", None) if role else (None, "", None)
    if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call_expression":
        callee = _callee(parent.parent)
        index = [c for c in parent.named_children].index(node) if node in parent.named_children else -1
        if callee in facts.FETCH_CALLS and index == 0:
            role = facts.role_of_fetched(name)
            return (role, f"{callee}()", None) if role else (None, "", None)
        roles = facts.CALL_ROLES.get(callee, ())
        if 0 <= index < len(roles):
            return roles[index], f"{callee}()", None
        return None, "", None
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            return None, "", _text(target)
    return None, "", None


def _classify(read: Any, name: str, how: str, add: Any, bindings: dict) -> None:
    role, evidence, local = context_role(read, name)
    if local is not None:
        bindings[local] = (name, read, how)  # the role comes from where the binding is used (_trace)
        return
    if role is None:
        role, evidence = facts.role_of_name(name), "name"
        if role is None:
            evidence = ""
    add(name, read, how, role, evidence)


def _trace(root: Any, uses_query: Any, bindings: dict[str, tuple[str, Any, str]], add: Any) -> None:
    """A binding's role is the role of its first telling use; else its own name's (`const clientId = ...`), else the
    variable's name's. Reported at the read (the `process.env` or the import), where the variable is named."""
    import tree_sitter as ts

    found: dict[str, tuple[str, str, Any]] = {}
    for _, m in ts.QueryCursor(uses_query).matches(root):
        if "short" in m:
            use = m["short"][0]
            local = _text(use)
            role = facts.role_of_option(local)
            if local in bindings and role and local not in found:
                found[local] = (role, f"option {local}", use)
        elif "value" in m:
            use = m["value"][0]
            local = _text(use)
            key = _text(m["key"][0]).strip("'\"`")
            role = facts.role_of_option(key)
            if local in bindings and role and local not in found:
                found[local] = (role, f"option {key}", use)
        elif "init" in m:
            use = m["init"][0]
            local, target = _text(use), _text(m["decl"][0])
            role = facts.role_of_option(target)
            if local in bindings and role and local not in found:
                found[local] = (role, f"binding {target}", use)
        elif "arg" in m:
            use = m["arg"][0]
            local = _text(use)
            if local in bindings and local not in found:
                role, evidence, _ = context_role(use, bindings[local][0])
                if role:
                    found[local] = (role, evidence, use)
    for local, (name, node, how) in bindings.items():
        role, evidence, use = found.get(local) or (facts.role_of_option(local), f"binding {local}", None)
        if role is None:
            role, evidence = facts.role_of_name(name), "name"
        add(name, node, how, role, evidence if role else "", use)


def _providers(root: Any, uses_query: Any, locals_: dict[str, str], rel: str) -> tuple[list[ProviderUse], list[tuple[int, int]]]:
    """Uses of an imported Authentik provider: calls `Authentik({...})` and bare references `providers: [Authentik]`."""
    uses: list[ProviderUse] = []
    ranges: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and _text(node) in locals_:
            parent = node.parent
            if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
                args = parent.child_by_field_name("arguments")
                options, pid = _options(args)
                uses.append(ProviderUse(rel, node.start_point[0] + 1, locals_[_text(node)], options, pid))
                ranges.append((parent.start_byte, parent.end_byte))
            elif parent is not None and parent.type in ("array", "pair", "arguments"):
                uses.append(ProviderUse(rel, node.start_point[0] + 1, locals_[_text(node)], frozenset(), None))
            continue
        if node.type in ("import_statement", "comment", "string", "template_string"):
            continue
        stack.extend(node.named_children)
    uses.sort(key=lambda u: u.line)
    return uses, ranges


def _options(args: Any) -> tuple[frozenset[str] | None, str | None]:
    named = [c for c in args.named_children if c.type != "comment"] if args is not None else []
    if not named:
        return frozenset(), None
    obj = named[0]
    if obj.type != "object":
        return None, None
    keys: set[str] = set()
    pid = None
    for child in obj.named_children:
        if child.type == "pair":
            key = _text(child.child_by_field_name("key")).strip("'\"`")
            keys.add(key)
            value = child.child_by_field_name("value")
            if key == "id" and value is not None and value.type == "string":
                pid = _text(value).strip("'\"")
        elif child.type in ("shorthand_property_identifier", "method_definition"):
            keys.add(_text(child.child_by_field_name("name") or child) if child.type == "method_definition" else _text(child))
        elif child.type == "spread_element":
            return None, None
    return frozenset(keys), pid
