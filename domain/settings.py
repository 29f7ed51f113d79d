"""Every knob of the service, typed, read once from the environment.

`Settings.from_env()` is the only place in the code base that reads `os.environ`.
A bad value raises `SettingsError` whose message is one line naming the variable.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from domain.settings_env import EnvironmentReader, SettingsError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None
    jwt_secret_key: str
    heartbeat_interval: int = 300
    heartbeat_timeout_factor: float = 3.0
    ocpp_auto_register: bool = False
    ocpp_max_message_bytes: int = 1_048_576
    ocpp_ping_interval: int = 30
    presence_ttl: int = 90
    boot_rate_per_second: float = 1000.0  # a ceiling per node; the rate adapts below it
    command_timeout: float = 30.0
    command_wait: float = 35.0
    jwt_access_minutes: int = 60
    jwt_refresh_days: int = 7
    login_max_failures: int = 10
    login_window_seconds: int = 60
    status_log_retention_days: int = 90
    message_log_retention_days: int = 30
    max_transaction_hours: int = 72
    prune_batch_size: int = 1000
    prune_interval_hours: int = 24
    heartbeat_sweep_seconds: int = 60
    reconcile_interval_seconds: int = 300
    reconcile_boot_grace_seconds: int = 300
    outbox_dispatch_seconds: int = 30
    health_rollup_seconds: int = 600
    task_time_limit: int = 600
    task_visibility_timeout: int = 3600
    celery_key_prefix: str = "voltline:"
    # Off when Settings is built directly (tests, tools); from_env() turns it on by default.
    embedded_scheduler: bool = False
    metrics_token: str | None = None
    prometheus_multiproc_dir: Path | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    # TLS served by gunicorn itself (security profiles 2 and 3); see web/tls.py.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    # Proxies whose X-Forwarded-Proto and X-Client-Cert headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    # The CA that signs chargers' certificate signing requests (SignCertificate).
    csms_ca_cert_file: Path | None = None
    csms_ca_key_file: Path | None = None
    # The operator's name: chargers' certificates must carry it as their subject O (whitepaper).
    cpo_name: str | None = None
    node_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    web_workers: int = 1
    # PostgreSQL connections per process, and how many more it may open under load.
    db_pool_size: int = 10
    db_max_overflow: int = 20

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: in-process relay, eager tasks."""
        return self.redis_url is None

    @property
    def metrics_directory(self) -> Path:
        """Where every server process writes its metric samples (emptied at server start)."""
        return self.prometheus_multiproc_dir or self.instance_path / "prometheus"

    @property
    def serves_tls(self) -> bool:
        return self.tls_cert_file is not None

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_default(self) -> bool:
        """The one-machine demo set-up: a SQLite file and no Redis."""
        return self.embedded and self.uses_sqlite

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment).

        Raises SettingsError naming the first variable whose value is unusable.
        """
        env = EnvironmentReader(os.environ if environ is None else environ)
        instance_path = Path(env.text("INSTANCE_PATH", str(PROJECT_ROOT / "instance")))
        default_db = f"sqlite:///{instance_path / 'voltline.db'}"
        database_url = env.database_url("DATABASE_URL", default_db)
        redis_url = env.redis_url("REDIS_URL")
        production = redis_url is not None or not database_url.startswith("sqlite")
        values = dict(
            instance_path=instance_path,
            database_url=database_url,
            redis_url=redis_url,
            heartbeat_interval=env.integer("HEARTBEAT_INTERVAL", 300, minimum=1),
            heartbeat_timeout_factor=env.number("HEARTBEAT_TIMEOUT_FACTOR", 3.0, minimum=1.0),
            ocpp_auto_register=env.boolean("OCPP_AUTO_REGISTER", False),
            ocpp_max_message_bytes=env.integer("OCPP_MAX_MESSAGE_BYTES", 1_048_576, minimum=1024),
            ocpp_ping_interval=env.integer("OCPP_PING_INTERVAL", 30, minimum=0),
            presence_ttl=env.integer("PRESENCE_TTL", 90, minimum=5),
            boot_rate_per_second=env.number("BOOT_RATE_PER_SECOND", 1000.0, minimum=0.1),
            command_timeout=env.number("COMMAND_TIMEOUT", 30.0, minimum=0.1),
            command_wait=env.number("COMMAND_WAIT", 35.0, minimum=0.1),
            jwt_access_minutes=env.integer("JWT_ACCESS_MINUTES", 60, minimum=1),
            jwt_refresh_days=env.integer("JWT_REFRESH_DAYS", 7, minimum=1),
            login_max_failures=env.integer("LOGIN_MAX_FAILURES", 10, minimum=1),
            login_window_seconds=env.integer("LOGIN_WINDOW_SECONDS", 60, minimum=1),
            status_log_retention_days=env.integer("STATUS_LOG_RETENTION_DAYS", 90, minimum=1),
            message_log_retention_days=env.integer("MESSAGE_LOG_RETENTION_DAYS", 30, minimum=1),
            max_transaction_hours=env.integer("MAX_TRANSACTION_HOURS", 72, minimum=1),
            prune_batch_size=env.integer("PRUNE_BATCH_SIZE", 1000, minimum=1),
            prune_interval_hours=env.integer("PRUNE_INTERVAL_HOURS", 24, minimum=1),
            heartbeat_sweep_seconds=env.integer("HEARTBEAT_SWEEP_SECONDS", 60, minimum=1),
            reconcile_interval_seconds=env.integer("RECONCILE_INTERVAL_SECONDS", 300, minimum=1),
            reconcile_boot_grace_seconds=env.integer(
                "RECONCILE_BOOT_GRACE_SECONDS", 300, minimum=0
            ),
            outbox_dispatch_seconds=env.integer("OUTBOX_DISPATCH_SECONDS", 30, minimum=1),
            health_rollup_seconds=env.integer("HEALTH_ROLLUP_SECONDS", 600, minimum=1),
            task_time_limit=env.integer("TASK_TIME_LIMIT", 600, minimum=5),
            task_visibility_timeout=env.integer("TASK_VISIBILITY_TIMEOUT", 3600, minimum=10),
            celery_key_prefix=env.text("CELERY_KEY_PREFIX", "voltline:"),
            embedded_scheduler=env.boolean("EMBEDDED_SCHEDULER", True),
            metrics_token=env.optional("METRICS_TOKEN"),
            prometheus_multiproc_dir=env.path("PROMETHEUS_MULTIPROC_DIR"),
            log_level=env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            log_format=env.choice("LOG_FORMAT", "text", ("text", "json")),
            tls_cert_file=env.file("TLS_CERT_FILE"),
            tls_key_file=env.file("TLS_KEY_FILE"),
            tls_client_ca_file=env.file("TLS_CLIENT_CA_FILE"),
            trusted_proxies=env.networks("TRUSTED_PROXIES"),
            csms_ca_cert_file=env.file("CSMS_CA_CERT_FILE"),
            csms_ca_key_file=env.file("CSMS_CA_KEY_FILE"),
            cpo_name=env.optional("CPO_NAME"),
            db_pool_size=env.integer("DB_POOL_SIZE", 10, minimum=1),
            db_max_overflow=env.integer("DB_MAX_OVERFLOW", 20, minimum=0),
            web_workers=env.integer(
                "WEB_WORKERS", (os.cpu_count() or 1) if redis_url else 1, minimum=1
            ),
        )
        _check_pairs(values)
        if redis_url is None and values["web_workers"] > 1:
            raise SettingsError(
                "WEB_WORKERS must be 1 without REDIS_URL: the embedded relay and presence "
                "live in one process"
            )
        # Every gunicorn worker is a relay node of its own: a given NODE_ID names the server
        # and each of several workers adds a suffix (without one, each generates its name).
        node_id = env.optional("NODE_ID")
        suffix = uuid.uuid4().hex[:8]
        if node_id is None:
            node_id = f"{socket.gethostname()}-{suffix}"
        elif values["web_workers"] > 1:
            node_id = f"{node_id}-{suffix}"
        values["node_id"] = node_id
        if values["task_visibility_timeout"] <= values["task_time_limit"]:
            raise SettingsError(
                "TASK_VISIBILITY_TIMEOUT must be longer than TASK_TIME_LIMIT, or a running "
                "task would be delivered a second time"
            )
        # Last, so a key is only generated once every other value has passed.
        jwt_secret_key = env.jwt_secret("JWT_SECRET_KEY", production, instance_path)
        return cls(jwt_secret_key=jwt_secret_key, **values)


def _check_pairs(values: dict) -> None:
    if values["tls_cert_file"] is not None and values["tls_key_file"] is None:
        raise SettingsError("TLS_KEY_FILE is required when TLS_CERT_FILE is set")
    if values["tls_key_file"] is not None and values["tls_cert_file"] is None:
        raise SettingsError("TLS_CERT_FILE is required when TLS_KEY_FILE is set")
    if (values["csms_ca_cert_file"] is None) != (values["csms_ca_key_file"] is None):
        raise SettingsError("CSMS_CA_CERT_FILE and CSMS_CA_KEY_FILE must be set together")
