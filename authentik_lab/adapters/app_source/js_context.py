"""Where an env value goes in JavaScript/TypeScript, on tree-sitter nodes: the role its context gives it, and
the Authentik provider calls (with the options they are given) that Auth.js infers variable names for."""

from __future__ import annotations

from typing import Any

from authentik_lab.core.app_source import facts
from authentik_lab.core.app_source.model import ProviderUse

_TRANSPARENT = {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression", "type_assertion"}


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


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


def classify(read: Any, name: str, how: str, add: Any, bindings: dict) -> None:
    role, evidence, local = context_role(read, name)
    if local is not None:
        bindings[local] = (name, read, how)  # the role comes from where the binding is used (_trace)
        return
    if role is None:
        role, evidence = facts.role_of_name(name), "name"
        if role is None:
            evidence = ""
    add(name, read, how, role, evidence)


def trace(root: Any, uses_query: Any, bindings: dict[str, tuple[str, Any, str]], add: Any) -> None:
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


def providers(root: Any, locals_: dict[str, str], rel: str) -> tuple[list[ProviderUse], list[tuple[int, int]]]:
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
