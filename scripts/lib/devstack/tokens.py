"""Dev bearer tokens: HS256 JWTs with the claims a Cognito user pool puts in an id token.

The signing key is generated on first use under .roster/ (git-ignored) and never leaves the
machine; the local gateway accepts only tokens signed with it, as API Gateway's JWT authorizer
accepts only the user pool's.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time

from .config import STATE

ISSUER = "https://roster.local/dev"
AUDIENCE = "roster-dev"
LIFETIME_SECONDS = 12 * 3600
KEY_FILE = STATE / "dev-signing-key"


class InvalidToken(Exception):
    pass


def signing_key():
    if not KEY_FILE.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(KEY_FILE.read_text().strip())


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(message, key):
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def mint(tenant, roles, sub=None, departments=(), now=None, name=None, email=None):
    now = int(now or time.time())
    claims = {
        "sub": sub or f"dev-{roles[0]}@{tenant}",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
        "custom:tenant_id": tenant,
        "cognito:groups": list(roles),
    }
    if departments:
        claims["custom:department_ids"] = ",".join(departments)
    if name:
        claims["name"] = name
    if email:
        claims["email"] = email
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_sign(f'{header}.{payload}', signing_key())}"


def verify(token, now=None):
    """The token's claims, or InvalidToken saying why not."""
    try:
        header_b64, payload_b64, signature = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
    except (ValueError, json.JSONDecodeError) as e:
        raise InvalidToken("malformed token") from e
    if header.get("alg") != "HS256":
        raise InvalidToken("unexpected signing algorithm")
    expected = _sign(f"{header_b64}.{payload_b64}", signing_key())
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("bad signature")
    if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
        raise InvalidToken("wrong issuer or audience")
    if int(claims.get("exp", 0)) <= int(now or time.time()):
        raise InvalidToken("expired")
    return claims


def as_authorizer_claims(claims):
    """Claims flattened to strings the way API Gateway's JWT authorizer hands them over."""
    flat = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            flat[name] = str(value)
    return flat
