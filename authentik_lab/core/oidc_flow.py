"""Pure pieces of a headless authorization-code login: PKCE, reading redirects, checking the ID token.

Each judgement returns a plain verdict with the *likely cause* phrased for a person, because the point of
`authlab login-test` is to say why a login a browser would do fails (captures 059-106 show every answer).
Signature checks use `cryptography` (imported lazily), the same RS256/JWKS check a jose backend performs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_SCOPES = ("openid", "email", "profile", "offline_access")
CLOCK_LEEWAY = 60


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    state: str
    nonce: str

    @classmethod
    def new(cls) -> "Pkce":
        verifier = secrets.token_urlsafe(48)
        return cls(verifier, s256(verifier), f"st-{secrets.token_hex(6)}", f"n-{secrets.token_hex(6)}")


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def authorize_query(client_id: str, redirect_uri: str, pkce: Pkce, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
    return urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": pkce.state,
            "nonce": pkce.nonce,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )


def usable_redirect_uri(value: Any) -> str | None:
    """A redirect URI a login can be sent to, from the provider's `redirect_uris` in either API form.

    From 2024.12 it is a list of `{matching_mode, url}`: the first strict entry. Before, it is one
    newline-separated string and every line is a regex; a plain URL or a `re.escape`d one (what authlab
    sends, see core.redirects) is a concrete URI, a real pattern is not.
    """
    import re

    if isinstance(value, str):
        for line in (x.strip() for x in value.splitlines()):
            # plain (no pattern characters besides dots, which match themselves) or fully re.escape()d
            candidate = line
            if re.search(r"[*+?()\[\]{}|^$\\]", line):
                candidate = re.sub(r"\\(.)", r"\1", line)
                if re.escape(candidate) != line:
                    continue  # a real pattern: no single URI to send
            if urlsplit(candidate).scheme in ("http", "https"):
                return candidate
        return None
    for entry in value or []:
        if isinstance(entry, Mapping) and entry.get("matching_mode", "strict") == "strict" and entry.get("url"):
            return str(entry["url"])
    return None


# --- reading the authorize answer -------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str = ""
    cause: str = ""
    hint: str = ""
    value: Any = None


def same_endpoint(url: str, redirect_uri: str) -> bool:
    a, b = urlsplit(url), urlsplit(redirect_uri)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def read_callback(location: str, redirect_uri: str, state: str) -> Verdict:
    """The final authorize redirect: `redirect_uri?code=...&state=...` or `?error=...`."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if not same_endpoint(location, redirect_uri):
        return Verdict(False, f"redirected to {location}", "the authorize step did not return to the redirect URI")
    if "error" in params:
        error = params["error"]
        described = params.get("error_description", "")
        causes = {
            "consent_required": ("consent required: the provider's authorization flow asks the user to consent",
                                 "use the implicit-consent flow (`consent: implicit`), or consent once in a browser"),
            "login_required": ("the session was not logged in", "the login stage did not complete"),
            "access_denied": ("access denied: a policy bound to the application refused this user",
                              "check the application's policy bindings and the user's groups"),
            "invalid_scope": ("a requested scope is not allowed for this provider", "check the provider's scope mappings"),
        }
        cause, hint = causes.get(error, (f"Authentik answered error={error}", ""))
        return Verdict(False, f"error={error} {described}".strip(), cause, hint)
    if params.get("state") != state:
        return Verdict(False, "the state parameter came back changed", "the redirect is not the answer to this request (state mismatch)")
    if not params.get("code"):
        return Verdict(False, f"no code in {location}", "the redirect carries no authorization code")
    return Verdict(True, "code received at the redirect URI", value=params["code"])


def authorize_error_page(status: int, page_text: str) -> Verdict:
    """Authorize answers 400 with an HTML page (no redirect) for a bad redirect URI or client id (094/098)."""
    text = " ".join(page_text.split())
    if "Redirect URI Error" in text or "redirect_uri" in text:
        return Verdict(
            False,
            f"HTTP {status}: Redirect URI Error page",
            "redirect URI mismatch: the redirect_uri is not registered on the provider (strict matching compares "
            "scheme, host, port, path and trailing slash)",
            "register the exact URI your app sends (redirect_uris in authlab.yaml, or `authlab provider create --redirect-uri`)",
        )
    if "Client ID Error" in text:
        return Verdict(False, f"HTTP {status}: Client ID Error page", "unknown client_id: no provider has this client id",
                       "check the client id your app uses against `authlab provider show`")
    return Verdict(False, f"HTTP {status} from the authorize endpoint", "Authentik refused the authorize request", text[:200])


def token_error(status: int, body: Any, grant: str) -> Verdict:
    error = body.get("error") if isinstance(body, Mapping) else None
    description = body.get("error_description", "") if isinstance(body, Mapping) else ""
    causes = {
        "invalid_client": ("client authentication failed: wrong client secret, unknown client id, or a redirect_uri "
                           "different from the one sent to authorize", "use the client id/secret and redirect URI authlab printed"),
        "invalid_grant": ("the code or refresh token was rejected: expired, already used, or the PKCE verifier does not match",
                          "a code is valid for one minute and one use"),
        "invalid_scope": ("the requested scope exceeds what was granted", "request offline_access at authorize time"),
        "unsupported_grant_type": (f"the {grant} grant is not accepted here", "the token endpoint reads form-encoded bodies only"),
    }
    cause, hint = causes.get(error or "", (f"HTTP {status} from the token endpoint", ""))
    return Verdict(False, f"HTTP {status} {error or ''} {description}".strip(), cause, hint)


# --- the ID token -------------------------------------------------------------------------------------


def decode_jwt(token: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, payload, signing input, signature); ValueError when it is not a compact JWS."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT (expected three dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JWT: {exc}") from None
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), signature


NO_SIGNING_KEY = Verdict(
    False,
    "ID token signed with HS256 and the JWKS has no keys",
    "no signing key: the provider has no signing_key, so Authentik signs with HS256 using the client secret; "
    "backends that verify through JWKS (jose, jwks-rsa, go-oidc, Spring) reject these tokens",
    "set the provider's signing key to 'authentik Self-signed Certificate' (`authlab apply` and `authlab provider create` do)",
)


def verify_id_token(token: str, jwks: Any, issuer: str, client_id: str, nonce: str | None, now: float | None = None) -> Verdict:
    try:
        header, claims, signing_input, signature = decode_jwt(token)
    except ValueError as exc:
        return Verdict(False, str(exc), "the id_token is not a JWT")
    alg = header.get("alg", "")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if alg.startswith("HS") or not keys:
        return NO_SIGNING_KEY if alg.startswith("HS") else Verdict(
            False, f"JWKS has no keys (alg {alg})", NO_SIGNING_KEY.cause, NO_SIGNING_KEY.hint)
    kid = header.get("kid")
    key = next((k for k in keys if kid is None or k.get("kid") == kid), None)
    if key is None:
        return Verdict(False, f"no JWKS key with kid {kid!r}", "the token was signed by a key the JWKS does not publish",
                       "the provider's signing key changed: fetch the JWKS again")
    try:
        _verify_signature(alg, key, signing_input, signature)
    except ValueError as exc:
        return Verdict(False, str(exc), "the signature does not verify against the JWKS")
    problems = claim_problems(claims, issuer, client_id, nonce, now)
    if problems:
        return Verdict(False, "; ".join(problems), problems[0])
    return Verdict(True, f"{alg} signature verified with kid {str(kid)[:12]}…; iss and aud match", value=claims)


def claim_problems(claims: Mapping[str, Any], issuer: str, client_id: str, nonce: str | None, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    out: list[str] = []
    if claims.get("iss") != issuer:
        out.append(f"iss is {claims.get('iss')!r}, expected {issuer!r} (Authentik builds it from the Host header you used)")
    aud = claims.get("aud")
    if client_id not in (aud if isinstance(aud, list) else [aud]):
        out.append(f"aud is {aud!r}, expected the client id {client_id!r}")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp + CLOCK_LEEWAY < now:
        out.append(f"the token is expired (exp {exp}, now {int(now)}): check the clocks")
    if nonce is not None and claims.get("nonce") != nonce:
        out.append(f"nonce is {claims.get('nonce')!r}, expected {nonce!r}")
    return out


def _verify_signature(alg: str, jwk: Mapping[str, Any], signing_input: bytes, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    digests = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
    digest = digests.get(alg[2:])
    if digest is None or alg[:2] not in ("RS", "ES"):
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    as_int = lambda name: int.from_bytes(b64url_decode(jwk[name]), "big")  # noqa: E731
    try:
        if alg.startswith("RS"):
            key = rsa.RSAPublicNumbers(as_int("e"), as_int("n")).public_key()
            key.verify(signature, signing_input, padding.PKCS1v15(), digest)
        else:
            curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
            key = ec.EllipticCurvePublicNumbers(as_int("x"), as_int("y"), curves[jwk["crv"]]).public_key()
            half = len(signature) // 2
            der = encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
            key.verify(der, signing_input, ec.ECDSA(digest))
    except InvalidSignature:
        raise ValueError(f"{alg} signature does not verify with the JWKS key") from None
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the JWKS key is incomplete ({exc})") from None
