"""The relay's test bed: a private redis-server (restartable without touching the shared one),
one PostgreSQL database, and two gunicorn nodes on it with short timeouts."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import requests

from domain import schema
from domain.db import Database
from domain.models import Role
from domain.services.users import ensure_user
from tests.live_server import LiveServer
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    free_port,
    unavailable,
)

OPERATOR = ("relay-operator", "relay-operator-password")
VIEWER = ("relay-viewer", "relay-viewer-password")
NODE_ENV = {
    "PRESENCE_TTL": "5",
    "COMMAND_TIMEOUT": "2",
    "COMMAND_WAIT": "10",
    "HEARTBEAT_INTERVAL": "300",
}


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence, so a restart loses
    everything (presence keys, subscriptions), as a crashed Redis would."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="voltline-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self._dir.name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


@pytest.fixture(scope="package")
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="package")
def cluster_database_url() -> Iterator[str]:
    url = create_postgres_database()
    schema.upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="package")
def cluster_db(cluster_database_url) -> Iterator[Database]:
    database = Database(cluster_database_url)
    with database.unit_of_work() as session:
        ensure_user(session, *OPERATOR, role=Role.OPERATOR)
        ensure_user(session, *VIEWER, role=Role.VIEWER)
    yield database
    database.dispose()


@contextmanager
def relay_node(database_url: str, redis_url: str, node_id: str) -> Iterator[LiveServer]:
    env = {**NODE_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "NODE_ID": node_id}
    with LiveServer(env, migrate=False, seed=False) as server:
        yield server


@pytest.fixture(scope="package")
def node_a(cluster_database_url, private_redis, cluster_db) -> Iterator[LiveServer]:
    with relay_node(cluster_database_url, private_redis.url, "relay-node-a") as server:
        yield server


@pytest.fixture(scope="package")
def node_b(cluster_database_url, private_redis, cluster_db) -> Iterator[LiveServer]:
    with relay_node(cluster_database_url, private_redis.url, "relay-node-b") as server:
        yield server


class Api:
    """A logged-in REST client for one node."""

    def __init__(self, server: LiveServer, credentials: tuple[str, str]):
        self.base = server.base_url
        answer = requests.post(
            f"{self.base}/api/token/",
            json={"username": credentials[0], "password": credentials[1]},
            timeout=10,
        )
        answer.raise_for_status()
        self.token = answer.json()["access"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def command(self, charger: str, action: str, payload=None, headers=None, **params):
        return self.session.post(
            f"{self.base}/api/chargers/{charger}/commands/{action}",
            json=payload if payload is not None else {},
            headers=headers or {},
            params=params,
            timeout=60,
        )

    def get(self, path: str, **params):
        return self.session.get(f"{self.base}{path}", params=params, timeout=30)


@pytest.fixture(scope="package")
def api_a(node_a) -> Api:
    return Api(node_a, OPERATOR)


@pytest.fixture(scope="package")
def api_b(node_b) -> Api:
    return Api(node_b, OPERATOR)
