"""A real Voltline server for tests and benchmarks, started the production way.

    with LiveServer({"DATABASE_URL": url, "REDIS_URL": redis}) as server:
        ws = server.ws_url("charger_1")      # ws://127.0.0.1:<port>/ocpp/charger_1
        requests.get(server.base_url + "/healthz")

Before gunicorn starts, `flask --app wsgi db-upgrade` and `create-chargers` run with the
same environment. gunicorn uses gunicorn.conf.py (gevent worker) on a free loopback port.
`stop()` shuts down quickly; `kill()` sends SIGKILL to the master and its workers, as a
crashed node would. Server output goes to `<instance>/server.log` (`log_text()`).
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from domain.settings import PROJECT_ROOT
from tests.services import create_postgres_database, drop_postgres_database, free_port

TEST_JWT_SECRET = "live-server-test-secret-long-enough-for-hs256-0123456789"
START_TIMEOUT = 60.0
# Loopback only: never through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
STOP_TIMEOUT = 15.0


class LiveServerError(RuntimeError):
    """The server did not come up (the message carries the end of its log)."""


class LiveServer:
    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        port: int | None = None,
        workers: int = 1,
        migrate: bool = True,
        seed: bool = True,
        extra_args: tuple[str, ...] = (),
        tls_context: ssl.SSLContext | None = None,
    ):
        """`tls_context`: the server serves TLS (TLS_CERT_FILE in `env`) and this client
        context trusts its certificate; URLs are then https:// and wss://."""
        self.port = port or free_port()
        self.tls_context = tls_context
        self._opener = (
            _DIRECT
            if tls_context is None
            else urllib.request.build_opener(
                urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls_context)
            )
        )
        self.workers = workers
        self.migrate = migrate
        self.seed = seed
        self.extra_args = extra_args
        self._own_instance = None
        given = dict(env or {})
        if "INSTANCE_PATH" not in given:
            self._own_instance = tempfile.TemporaryDirectory(prefix="voltline-live-")
            given["INSTANCE_PATH"] = self._own_instance.name
        given.setdefault("JWT_SECRET_KEY", TEST_JWT_SECRET)
        # Its own metrics folder: an in-process test app leaves PROMETHEUS_MULTIPROC_DIR in
        # this process's environment (prometheus-client reads it there), and a server that
        # inherited it would share (and empty) another's samples.
        given.setdefault(
            "PROMETHEUS_MULTIPROC_DIR", str(Path(given["INSTANCE_PATH"]) / "prometheus")
        )
        given.setdefault("NODE_ID", f"live-{self.port}")
        # gunicorn.conf.py reads the worker count from Settings (WEB_WORKERS).
        given.setdefault("WEB_WORKERS", str(workers))
        self.env = {**os.environ, **given}
        self.instance_path = Path(given["INSTANCE_PATH"])
        self.log_path = self.instance_path / "server.log"
        self.process: subprocess.Popen | None = None
        self.database_url = self.env.get("DATABASE_URL")

    @property
    def base_url(self) -> str:
        scheme = "http" if self.tls_context is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def node_id(self) -> str:
        return self.env["NODE_ID"]

    def ws_url(self, charger_id: str, legacy: bool = False) -> str:
        """The charger URL; `legacy` gives the original design's /ws/ocpp/<id>/ form."""
        name = quote(charger_id, safe="")
        scheme = "ws" if self.tls_context is None else "wss"
        if legacy:
            return f"{scheme}://127.0.0.1:{self.port}/ws/ocpp/{name}/"
        return f"{scheme}://127.0.0.1:{self.port}/ocpp/{name}"

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi <args>` with the server's environment; returns stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise LiveServerError(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> LiveServer:
        self.instance_path.mkdir(parents=True, exist_ok=True)
        if self.migrate:
            self.flask("db-upgrade")
        if self.seed:
            self.flask("create-chargers")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(PROJECT_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            *self.extra_args,
            "wsgi:app",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill() takes the workers too
            )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LiveServerError(
                    f"server exited with {self.process.returncode}:\n{self.log_text()[-3000:]}"
                )
            try:
                with self._opener.open(self.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.kill()
        raise LiveServerError(f"server not healthy in {START_TIMEOUT}s:\n{self.log_text()[-3000:]}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Quick shutdown (SIGINT); SIGKILL for whatever is left after STOP_TIMEOUT."""
        self._signal_group(signal.SIGINT)
        try:
            if self.process is not None:
                self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        """SIGKILL the master and its workers, as a crash would."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(STOP_TIMEOUT)

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        self.stop()
        if self._own_instance is not None:
            self._own_instance.cleanup()

    def __enter__(self) -> LiveServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc_info) -> None:
        self.close()


@contextmanager
def postgres_live_server(env: dict[str, str] | None = None, **options) -> Iterator[LiveServer]:
    """A LiveServer on a fresh PostgreSQL database of its own, dropped afterwards."""
    url = create_postgres_database()
    try:
        with LiveServer({"DATABASE_URL": url, **(env or {})}, **options) as server:
            yield server
    finally:
        drop_postgres_database(url)
