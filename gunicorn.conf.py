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
    from domain.settings import Settings
    from web.metrics import empty_metrics_directory

    empty_metrics_directory(Settings.from_env())


def child_exit(server, worker):
    from web.metrics import worker_exited

    worker_exited(worker.pid)


def worker_exit(server, worker):
    # Graceful shutdown: the bookkeeping written behind (<= 1 s of it) is written now.
    from web.ocpp import close_ocpp

    close_ocpp(worker.wsgi)
