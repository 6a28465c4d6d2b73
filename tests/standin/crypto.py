"""RSA keypair + self-signed certificate, JWK and JWT signing (cryptography)."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

RSA_BITS = 2048


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def generate_self_signed(common_name: str, issuer_cn: str, now: float) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "authentik"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Self-signed"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)])
    start = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    san = secrets.token_hex(20) + ".self-signed.goauthentik.io"
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - _dt.timedelta(days=1))
        .not_valid_after(start + _dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return {"key_pem": key_pem, "cert_pem": cert_pem}


def cert_info(cert_pem: str) -> dict:
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)

    def fp(h: str) -> str:
        d = hashlib.new(h, der).hexdigest()
        return ":".join(d[i : i + 2] for i in range(0, len(d), 2))

    parts = []
    for attr in reversed(list(cert.subject)):
        short = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU"}.get(attr.oid, attr.oid.dotted_string)
        parts.append(f"{short}={attr.value}")
    try:
        expiry = cert.not_valid_after_utc
    except AttributeError:  # pragma: no cover - old cryptography
        expiry = cert.not_valid_after.replace(tzinfo=_dt.timezone.utc)
    return {
        "fingerprint_sha256": fp("sha256"),
        "fingerprint_sha1": fp("sha1"),
        "cert_expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cert_subject": ",".join(parts),
        "der": der,
    }


def kid_for(kp_uuid: str) -> str:
    return b64url(hashlib.sha512(kp_uuid.encode()).digest())


def jwk_for(kp: dict) -> dict:
    cert = x509.load_pem_x509_certificate(kp["cert_pem"].encode())
    pub = cert.public_key()
    nums = pub.public_numbers()
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "alg": "RS256",
        "kid": kid_for(kp["pk"]),
        "kty": "RSA",
        "use": "sig",
        "n": _int_b64(nums.n),
        "e": _int_b64(nums.e),
        "x5c": [base64.b64encode(der).decode()],
        "x5t": b64url(hashlib.sha1(der).digest()),
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }


_key_cache: dict[str, object] = {}


def _load_key(pem: str):
    k = _key_cache.get(pem)
    if k is None:
        k = serialization.load_pem_private_key(pem.encode(), password=None)
        _key_cache[pem] = k
    return k


def sign_jwt(payload: dict, kp: dict | None, hs_secret: str) -> str:
    if kp is not None:
        header = {"alg": "RS256", "kid": kid_for(kp["pk"]), "typ": "JWT"}
    else:
        header = {"alg": "HS256", "typ": "JWT"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(json.dumps(payload, separators=(",", ":")).encode())).encode()
    if kp is not None:
        sig = _load_key(kp["key_pem"]).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    else:
        sig = hmac.new(hs_secret.encode(), signing_input, hashlib.sha256).digest()
    return signing_input.decode() + "." + b64url(sig)


def at_hash(token: str) -> str:
    d = hashlib.sha256(token.encode()).digest()
    return b64url(d[: len(d) // 2])


def pkce_s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    d = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20000)
    return f"pbkdf2_sha256$20000${salt}${base64.b64encode(d).decode()}"


def check_password(password: str, encoded: str | None) -> bool:
    if not encoded or not encoded.startswith("pbkdf2_sha256$"):
        return False
    _, iters, salt, digest = encoded.split("$", 3)
    d = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iters))
    return hmac.compare_digest(base64.b64encode(d).decode(), digest)
