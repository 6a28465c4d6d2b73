"""PKCE, callback reading and ID-token verification against real keys (made here with `cryptography`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from authentik_lab.core.oidc_flow import (
    NO_SIGNING_KEY,
    Pkce,
    authorize_error_page,
    authorize_query,
    b64url,
    read_callback,
    s256,
    token_error,
    verify_id_token,
)

ISSUER = "http://localhost:9000/application/o/web/"
CLIENT = "client-123"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key, kid: str = "kid-1") -> dict:
    numbers = key.public_key().public_numbers()
    as_b64 = lambda n: b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))  # noqa: E731
    return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": as_b64(numbers.n), "e": as_b64(numbers.e)}]}


def _claims(**over) -> dict:
    return {"iss": ISSUER, "aud": CLIENT, "exp": NOW + 3600, "iat": NOW, "nonce": "n-1", "sub": "abc", **over}


def _rs256(key, claims: dict, kid: str = "kid-1") -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    head = b64url(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(sig)}"


def _hs256(secret: str, claims: dict) -> str:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    # RFC 7636 appendix B test vector
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    pkce = Pkce.new()
    assert pkce.challenge == s256(pkce.verifier) and 43 <= len(pkce.verifier) <= 128
    query = authorize_query(CLIENT, "http://localhost:3000/cb", pkce)
    assert query == (
        f"client_id={CLIENT}&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&response_type=code"
        f"&scope=openid+email+profile+offline_access&state={pkce.state}&nonce={pkce.nonce}"
        f"&code_challenge={pkce.challenge}&code_challenge_method=S256"
    )


def test_valid_rs256_token_verifies(rsa_key) -> None:
    verdict = verify_id_token(_rs256(rsa_key, _claims()), _jwks(rsa_key), ISSUER, CLIENT, "n-1", now=NOW)
    assert verdict.ok, verdict
    assert verdict.value["sub"] == "abc"
    assert verdict.detail == "RS256 signature verified with kid kid-1…; iss and aud match"


def test_tampered_payload_fails_the_signature(rsa_key) -> None:
    head, _, sig = _rs256(rsa_key, _claims()).split(".")
    forged = f"{head}.{b64url(json.dumps(_claims(sub='admin')).encode())}.{sig}"
    verdict = verify_id_token(forged, _jwks(rsa_key), ISSUER, CLIENT, "n-1", now=NOW)
    assert (verdict.ok, verdict.detail, verdict.cause) == (
        False, "RS256 signature does not verify with the JWKS key", "the signature does not verify against the JWKS")


def test_hs256_token_is_the_no_signing_key_failure() -> None:
    # captures 103/106: HS256 tokens without kid, JWKS body {}
    verdict = verify_id_token(_hs256("client-secret", _claims()), {}, ISSUER, CLIENT, "n-1", now=NOW)
    assert verdict == NO_SIGNING_KEY
    assert verdict.cause.startswith("no signing key:")


def test_rs256_token_with_empty_jwks_names_the_signing_key(rsa_key) -> None:
    verdict = verify_id_token(_rs256(rsa_key, _claims()), {}, ISSUER, CLIENT, None, now=NOW)
    assert (verdict.ok, verdict.detail) == (False, "JWKS has no keys (alg RS256)")
    assert verdict.cause == NO_SIGNING_KEY.cause


def test_unknown_kid(rsa_key) -> None:
    verdict = verify_id_token(_rs256(rsa_key, _claims(), kid="other"), _jwks(rsa_key), ISSUER, CLIENT, None, now=NOW)
    assert (verdict.ok, verdict.detail) == (False, "no JWKS key with kid 'other'")


@pytest.mark.parametrize(
    ("claims", "first_problem"),
    [
        (_claims(iss="http://127.0.0.1:9000/application/o/web/"),
         "iss is 'http://127.0.0.1:9000/application/o/web/', expected 'http://localhost:9000/application/o/web/' (Authentik builds it from the Host header you used)"),
        (_claims(aud="someone-else"), "aud is 'someone-else', expected the client id 'client-123'"),
        (_claims(exp=NOW - 3600), f"the token is expired (exp {NOW - 3600}, now {NOW}): check the clocks"),
        (_claims(nonce="n-other"), "nonce is 'n-other', expected 'n-1'"),
    ],
)
def test_claim_checks(rsa_key, claims: dict, first_problem: str) -> None:
    verdict = verify_id_token(_rs256(rsa_key, claims), _jwks(rsa_key), ISSUER, CLIENT, "n-1", now=NOW)
    assert (verdict.ok, verdict.cause) == (False, first_problem)


def test_aud_list_containing_the_client_is_accepted(rsa_key) -> None:
    assert verify_id_token(_rs256(rsa_key, _claims(aud=["x", CLIENT])), _jwks(rsa_key), ISSUER, CLIENT, "n-1", now=NOW).ok


def test_not_a_jwt() -> None:
    verdict = verify_id_token("abc", {"keys": []}, ISSUER, CLIENT, None)
    assert (verdict.ok, verdict.detail, verdict.cause) == (False, "not a JWT (expected three dot-separated parts)", "the id_token is not a JWT")


REDIRECT = "http://localhost:3000/api/auth/callback/authentik"


def test_read_callback_code_and_errors() -> None:
    ok = read_callback(f"{REDIRECT}?code=abc&state=st-1", REDIRECT, "st-1")
    assert (ok.ok, ok.value) == (True, "abc")
    consent = read_callback(f"{REDIRECT}?error=consent_required&state=st-1", REDIRECT, "st-1")
    assert (consent.ok, consent.detail) == (False, "error=consent_required")
    assert consent.cause.startswith("consent required")
    assert read_callback(f"{REDIRECT}?code=abc&state=other", REDIRECT, "st-1").cause == (
        "the redirect is not the answer to this request (state mismatch)")
    elsewhere = read_callback("/if/flow/x/", REDIRECT, "st-1")
    assert (elsewhere.ok, elsewhere.cause) == (False, "the authorize step did not return to the redirect URI")


def test_redirect_uri_error_page_from_the_real_capture(shared_authentik: Path) -> None:
    capture = json.loads((shared_authentik / "captures-2026.2.2/094-authorize-unregistered-redirect-with-session.json").read_text())
    verdict = authorize_error_page(capture["response"]["status"], capture["response"]["body_text_excerpt"])
    assert (verdict.ok, verdict.detail) == (False, "HTTP 400: Redirect URI Error page")
    assert verdict.cause.startswith("redirect URI mismatch")


def test_client_id_error_page() -> None:
    verdict = authorize_error_page(400, "authentik Client ID Error The client identifier (client_id) is missing or invalid.")
    assert verdict.cause == "unknown client_id: no provider has this client id"


def test_token_errors_name_the_cause(shared_authentik: Path) -> None:
    capture = json.loads((shared_authentik / "captures-2026.2.2/069-token-400-wrong-redirect-uri.json").read_text())
    verdict = token_error(400, capture["response"]["body"], "authorization_code")
    assert verdict.detail.startswith("HTTP 400 invalid_client Client authentication failed")
    assert "redirect_uri different" in verdict.cause
    assert token_error(400, {"error": "invalid_grant"}, "refresh_token").cause.startswith("the code or refresh token was rejected")
    assert token_error(502, "bad gateway", "authorization_code").cause == "HTTP 502 from the token endpoint"


def test_usable_redirect_uri_in_both_api_forms() -> None:
    from authentik_lab.core.oidc_flow import usable_redirect_uri

    # >= 2024.12: the first strict entry (capture 024 shape)
    assert usable_redirect_uri([
        {"matching_mode": "regex", "url": "http://localhost:3000/.*"},
        {"matching_mode": "strict", "url": "http://localhost:3000/cb"},
    ]) == "http://localhost:3000/cb"
    assert usable_redirect_uri([{"matching_mode": "regex", "url": "http://x/.*"}]) is None
    assert usable_redirect_uri([]) is None
    # < 2024.12: newline-separated regex lines; a plain or escaped URL is concrete, a pattern is not
    assert usable_redirect_uri("http://localhost:3000/.*\nhttp://localhost:3000/cb") == "http://localhost:3000/cb"
    assert usable_redirect_uri(r"http://localhost:3000/cb\?x=1") == "http://localhost:3000/cb?x=1"
    assert usable_redirect_uri("http://localhost:3000/.*") is None
    assert usable_redirect_uri("") is None
