"""gunicorn settings for the charger-facing service (gevent: one greenlet per socket)."""

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


def on_starting(server):
    # Workers write metric samples to files that /metrics merges; start with none left over.
    from adapters.metrics import empty_metrics_directory
    from domain.settings import Settings

    empty_metrics_directory(Settings.from_env())


def child_exit(server, worker):
    from adapters.metrics import worker_exited
    from domain.settings import Settings

    worker_exited(Settings.from_env(), worker.pid)


# TLS of our own (security profiles 2 and 3) and the proxies whose forwarded TLS facts are
# believed: TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE, TRUSTED_PROXIES (web/tls.py).
def _tls_settings() -> dict:
    from domain.settings import Settings
    from web.tls import gunicorn_tls_settings

    return gunicorn_tls_settings(Settings.from_env())


globals().update(_tls_settings())
