"""Minimal HTML pages shaped like Authentik's (title 'authentik', message, 'Go home', 'Powered by authentik')."""

from __future__ import annotations

import html as _html


def _page(version: str, title: str, message: str = "") -> str:
    msg = f"\n            <p>{_html.escape(message)}</p>" if message else ""
    return f"""



<!DOCTYPE html>
<html lang="en" data-theme="light" data-theme-choice="auto">
    <head>
        <meta charset="UTF-8">
        <meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">
        <title>authentik</title>
        <link rel="icon" href="/static/dist/assets/icons/icon.png">
        <link rel="stylesheet" type="text/css" href="/static/dist/styles/interface-{_html.escape(version)}.css" />
    </head>
    <body>
        <div class="pf-c-login">
            <h1 class="pf-c-title">{_html.escape(title)}</h1>{msg}
            <a href="/" class="pf-c-button pf-m-primary">Go home</a>
            <footer><span>Powered by authentik</span></footer>
        </div>
        <!-- authentik stand-in (test double), not the real server -->
    </body>
</html>
"""


def not_found(version: str) -> str:
    return _page(version, "Not Found")


def redirect_uri_error(version: str) -> str:
    return _page(version, "Redirect URI Error", "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).")


def client_id_error(version: str) -> str:
    return _page(version, "Client ID Error", "The client identifier (client_id) is missing or invalid.")


def flow_shell(version: str, slug: str) -> str:
    return f"""



<!DOCTYPE html>
<html lang="en" data-theme="light" data-theme-choice="auto">
    <head>
        <meta charset="UTF-8">
        <title>authentik</title>
        <link rel="stylesheet" type="text/css" href="/static/dist/styles/interface-{_html.escape(version)}.css" />
    </head>
    <body>
        <ak-flow-executor flowSlug="{_html.escape(slug)}"></ak-flow-executor>
    </body>
</html>
"""
