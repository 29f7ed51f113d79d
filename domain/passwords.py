"""Salted PBKDF2 hashes for user passwords and charger AuthorizationKeys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

USER_PASSWORD_ITERATIONS = 260_000
# Charger keys are 16-40 characters the operator or we generate; a lower cost keeps a
# reconnect storm of thousands of chargers from spending seconds each on hashing.
CHARGER_KEY_ITERATIONS = 2_000


def hash_secret(secret: str, iterations: int = USER_PASSWORD_ITERATIONS) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_secret(secret: str, encoded: str | None) -> bool:
    """Constant-time check of `secret` against a hash made by `hash_secret`."""
    if not encoded:
        return False
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), rounds).hex()
    return hmac.compare_digest(digest, expected)


def generate_password() -> str:
    """A strong random password: 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def generate_authorization_key() -> str:
    """A 40-character key, the maximum the OCPP security whitepaper allows."""
    return secrets.token_hex(20)
