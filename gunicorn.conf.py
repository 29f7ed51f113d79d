"""gunicorn settings for the charger-facing service (gevent: one greenlet per socket)."""

import gc
import sys

from domain.settings import Settings, SettingsError

try:
    _settings = Settings.from_env()
except SettingsError as error:
    sys.exit(f"configuration error: {error}")

# WEB_WORKERS: the core count with Redis (each worker its own relay node), 1 embedded.
workers = _settings.web_workers
worker_class = "gevent"
# gunicorn's default of 1,000 silently caps chargers per worker.
worker_connections = 20000
timeout = 60
graceful_timeout = 20
keepalive = 75


def post_fork(server, worker):
    # psycopg2 must yield to other greenlets while it waits on PostgreSQL.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


# Allocations between two young-generation passes of the collector (Python's default: 700).
# Each charger message allocates a few dozen short-lived containers; at 700 a 1,000-charger
# heartbeat run made ~20 young passes a second, each walking every live young object, and
# a full pass every few seconds: ~9% of the worker's CPU. Fewer passes see fewer objects
# (most are freed before the next one); cyclic garbage, rare here, waits a little longer.
YOUNG_GENERATION_THRESHOLD = 20_000


def post_worker_init(worker):
    # The app's long-lived objects (modules, schemas, validators, the ORM's mappers) move to
    # the permanent generation: the collector no longer walks them on every full pass.
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


def on_starting(server):
    # Workers write metric samples to files that /metrics merges; start with none left over.
    from adapters.metrics import empty_metrics_directory

    empty_metrics_directory(_settings)


def child_exit(server, worker):
    from adapters.metrics import worker_exited

    worker_exited(_settings, worker.pid)


def worker_int(worker):
    # Quick shutdown (SIGINT/SIGQUIT): write what is held here, not in worker_exit, which
    # runs while a second quit signal's sys.exit() (0.1 s after it) can cut a flush short.
    _close_ocpp(worker)


def worker_exit(server, worker):
    # Graceful shutdown: the bookkeeping written behind (<= 1 s of it) is written now.
    _close_ocpp(worker)


def _close_ocpp(worker):
    from web.ocpp import close_ocpp

    close_ocpp(worker.wsgi)


# TLS of our own (security profiles 2 and 3) and the proxies whose forwarded TLS facts are
# believed: TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE, TRUSTED_PROXIES (web/tls.py).
def _tls_settings() -> dict:
    from web.tls import gunicorn_tls_settings

    return gunicorn_tls_settings(_settings)


globals().update(_tls_settings())
