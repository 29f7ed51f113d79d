"""Typed reads of the environment for `Settings.from_env()`: each failure is a
`SettingsError` whose one-line message names its variable."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

MIN_JWT_SECRET_BYTES = 32


class SettingsError(ValueError):
    """A configuration variable has a value the service cannot run with."""


class EnvironmentReader:
    """Typed reads of one environment mapping; each failure names its variable."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def path(self, name: str) -> Path | None:
        raw = self.optional(name)
        return None if raw is None else Path(raw)

    def file(self, name: str) -> Path | None:
        path = self.path(name)
        if path is not None and not path.is_file():
            raise SettingsError(f"{name} names no readable file: {str(path)!r}")
        return path

    def networks(self, name: str) -> tuple[str, ...]:
        """Comma-separated addresses or CIDR networks, normalised."""
        raw = self.optional(name) or ""
        networks = []
        for item in filter(None, (part.strip() for part in raw.split(","))):
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise SettingsError(
                    f"{name} must list IP addresses or networks, got {item!r}"
                ) from None
        return tuple(networks)

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def integer(self, name: str, default: int, minimum: int) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float, minimum: float) -> float:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.optional(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be true or false, got {raw!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self.optional(name)
        if raw is None:
            return default
        for option in allowed:
            if raw.lower() == option.lower():
                return option
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")

    def database_url(self, name: str, default: str) -> str:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            url = make_url(raw)
        except ArgumentError:
            raise SettingsError(f"{name} is not a database URL: {raw!r}") from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise SettingsError(f"{name} must be a postgresql:// or sqlite:// URL, got {raw!r}")
        if url.get_backend_name() == "postgresql":
            # Normalise plain postgres URLs to the psycopg2 driver we ship.
            url = url.set(drivername="postgresql+psycopg2")
        return url.render_as_string(hide_password=False)

    def redis_url(self, name: str) -> str | None:
        raw = self.optional(name)
        if raw is None:
            return None
        if not raw.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"{name} must start with redis://, rediss:// or unix://")
        return raw

    def jwt_secret(self, name: str, production: bool, instance_path: Path) -> str:
        raw = self.optional(name)
        if raw is not None:
            if len(raw.encode()) < MIN_JWT_SECRET_BYTES:
                raise SettingsError(f"{name} must be at least {MIN_JWT_SECRET_BYTES} bytes long")
            return raw
        if production:
            raise SettingsError(
                f"{name} is required (at least {MIN_JWT_SECRET_BYTES} bytes) "
                "when REDIS_URL or a non-SQLite DATABASE_URL is set"
            )
        return _embedded_jwt_secret(instance_path)


def _embedded_jwt_secret(instance_path: Path) -> str:
    """A random key generated once and kept in the instance folder."""
    key_file = instance_path / "jwt-secret"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    key_file.write_text(secret)
    key_file.chmod(0o600)
    log.warning("JWT_SECRET_KEY not set: generated one in %s (embedded mode only)", key_file)
    return secret
