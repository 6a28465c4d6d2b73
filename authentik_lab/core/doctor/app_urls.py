"""Doctor checks over the endpoint URLs and client credentials in an app's env files (pure: facts in, outcomes out).

Authentik has one token endpoint for every application (`/application/o/token/`) but a JWKS per application
(`/application/o/<slug>/jwks/`, no `/.well-known/jwks.json`); tokens are signed with the issuer application's
key, so the JWKS URL must name that application. Secrets are compared, never shown.
"""

from __future__ import annotations

import posixpath
import re
from typing import Sequence
from urllib.parse import urlsplit

from authentik_lab.core.checks import Message, Outcome, Skip, from_messages
from authentik_lab.core.doctor.app_env import ISSUER_PATH, AppEnvFile, ServerView, fix_base, issuer_keys, need_files, slug_hint


def _url_keys(f: AppEnvFile, needle: str) -> list[str]:
    return [k for k, (_, v) in f.lines.items() if needle in k.upper() and v.strip().startswith(("http://", "https://"))]


def _issuer_slugs(files: Sequence[AppEnvFile]) -> dict[str, set[str]]:
    """folder -> application slugs its issuer variables name."""
    out: dict[str, set[str]] = {}
    for f in files:
        for key in issuer_keys(f):
            m = ISSUER_PATH.match(urlsplit(f.lines[key][1].strip()).path)
            if m:
                out.setdefault(posixpath.dirname(f.path), set()).add(m.group("slug"))
    return out


def check_jwks_url(files: Sequence[AppEnvFile], server: ServerView = ServerView()) -> Outcome:
    need_files(files)
    pattern = re.compile(r"^/application/o/(?P<slug>[-a-zA-Z0-9_]+)/jwks/$")
    issuers = _issuer_slugs(files)
    messages, evidence = [], []
    for f in files:
        for key in _url_keys(f, "JWKS"):
            value = f.lines[key][1].strip()
            evidence.append(f"{f.at(key)}={value}")
            path = urlsplit(value).path
            mine = issuers.get(posixpath.dirname(f.path), set())
            want = f"{fix_base(server, value)}/application/o/{slug_hint(server, *sorted(mine))}/jwks/"
            m = pattern.match(path)
            if not m:
                hint = " (Authentik has no /.well-known/jwks.json)" if "jwks.json" in path else ""
                messages.append(Message("fail", f"{f.at(key)}: {path} is not Authentik's JWKS path{hint}",
                                        f"use {want} (the discovery document's jwks_uri)"))
                continue
            slug = m.group("slug")
            if server.slugs is not None and slug not in server.slugs:
                known = ", ".join(sorted(server.slugs)) or "none"
                messages.append(Message("fail", f"{f.at(key)}: no application with slug {slug!r} (known: {known}); this JWKS URL answers 404",
                                        f"use {want}"))
            elif mine and slug not in mine:
                messages.append(Message("fail", f"{f.at(key)}: the JWKS is application {slug!r}'s but the issuer names {', '.join(sorted(mine))!s}: "
                                        "tokens are signed with the issuer application's key", f"use {want}"))
    if not evidence:
        raise Skip("no *JWKS* URL in the app env files")
    return from_messages(messages, "JWKS URLs point at an existing application's /application/o/<slug>/jwks/", evidence)


def check_token_url(files: Sequence[AppEnvFile], server: ServerView = ServerView()) -> Outcome:
    need_files(files)
    messages, evidence = [], []
    for f in files:
        for key in [k for k in _url_keys(f, "TOKEN") if "URL" in k.upper() or "ENDPOINT" in k.upper()]:
            value = f.lines[key][1].strip()
            evidence.append(f"{f.at(key)}={value}")
            if urlsplit(value).path != "/application/o/token/":
                messages.append(Message("fail", f"{f.at(key)}: {urlsplit(value).path} is not Authentik's token endpoint",
                                        f"use {fix_base(server, value)}/application/o/token/ (one endpoint for every application)"))
    if not evidence:
        raise Skip("no token endpoint URL in the app env files")
    return from_messages(messages, "token URLs point at /application/o/token/", evidence)


_ID_KEY = re.compile(r"(CLIENT_ID|AUTHENTIK_ID|OIDC_ID)$")
_SECRET_KEY = re.compile(r"(CLIENT_SECRET|AUTHENTIK_SECRET|OIDC_SECRET)$")


def check_client_credentials(files: Sequence[AppEnvFile], server: ServerView) -> Outcome:
    need_files(files)
    found = [(f, k) for f in files for k in f.lines if _ID_KEY.search(k.upper())]
    if not found:
        raise Skip("no client id variable in the app env files")
    if server.slugs is None:
        raise Skip("no provider data from the server (needs --url/--token or a running lab)")
    by_id = {p.client_id: p for p in server.providers}
    messages, evidence = [], []
    for f, key in found:
        secrets = [k for k in f.lines if _SECRET_KEY.search(k.upper()) and "NEXTAUTH" not in k.upper() and k.upper() != "AUTH_SECRET"]
        client_id = f.lines[key][1].strip()
        provider = by_id.get(client_id)
        if provider is None:
            owner = next((p for p in server.providers for k in secrets if p.client_secret and f.lines[k][1].strip() == p.client_secret), None)
            fix = (f"the secret in this file belongs to provider {owner.name}, whose client id is {owner.client_id}" if owner
                   else f"copy client_id from `authlab provider show {server.providers[0].name if len(server.providers) == 1 else 'NAME'}`")
            messages.append(Message("fail", f"{f.at(key)}: no provider has client id {client_id!r}", fix))
            continue
        evidence.append(f"{f.at(key)}: provider {provider.name}")
        for skey in secrets:
            if f.lines[skey][1].strip() != provider.client_secret:
                # never print either secret: the line is enough to find it
                messages.append(Message("fail", f"{f.at(skey)}: does not match the client secret of provider {provider.name}",
                                        f"copy it with `authlab provider show {provider.name} --show-secret`"))
            else:
                evidence.append(f"{f.at(skey)}: matches provider {provider.name}")
    return from_messages(messages, "client id and secret match a provider", evidence)
