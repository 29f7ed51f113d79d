"""The TLS test bed: certificates made here, one PostgreSQL database, and two nodes on it as
README "Security profiles and TLS" lays out: a wss:// node (TLS_CERT_FILE, TLS_CLIENT_CA_FILE,
the CSMS CA) and a plain ws:// node that trusts 127.0.0.1 as its TLS-terminating proxy."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from domain import schema
from domain.db import Database
from domain.models import Role
from domain.services.users import ensure_user
from tests.live_server import LiveServer
from tests.pki import PrivateCA, client_context
from tests.services import create_postgres_database, drop_postgres_database

ADMIN = ("tls-admin", "tls-admin-password")
NODE_ENV = {"COMMAND_TIMEOUT": "5", "COMMAND_WAIT": "10", "HEARTBEAT_INTERVAL": "300"}


class Pki:
    def __init__(self, folder: Path):
        self.folder = folder
        self.server_ca = PrivateCA(folder, "server-ca")
        self.charger_ca = PrivateCA(folder, "charger-ca")  # client CA and CSMS CA
        self.rogue_ca = PrivateCA(folder, "rogue-ca")
        self.server = self.server_ca.issue("127.0.0.1", server=True)

    def context(self, issued=None):
        """A charger's client context: trusts our server, presents `issued` if given."""
        if issued is None:
            return client_context(self.server_ca)
        return client_context(self.server_ca, issued.cert_file, issued.key_file)


@pytest.fixture(scope="package")
def pki() -> Iterator[Pki]:
    with tempfile.TemporaryDirectory(prefix="voltline-pki-") as folder:
        yield Pki(Path(folder))


@pytest.fixture(scope="package")
def tls_database_url() -> Iterator[str]:
    url = create_postgres_database()
    schema.upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="package")
def tls_db(tls_database_url) -> Iterator[Database]:
    database = Database(tls_database_url)
    with database.unit_of_work() as session:
        ensure_user(session, *ADMIN, role=Role.ADMIN)
    yield database
    database.dispose()


@pytest.fixture(scope="package")
def wss_node(pki, tls_database_url, tls_db) -> Iterator[LiveServer]:
    env = {
        **NODE_ENV,
        "DATABASE_URL": tls_database_url,
        "TLS_CERT_FILE": str(pki.server.cert_file),
        "TLS_KEY_FILE": str(pki.server.key_file),
        "TLS_CLIENT_CA_FILE": str(pki.charger_ca.cert_file),
        "CSMS_CA_CERT_FILE": str(pki.charger_ca.cert_file),
        "CSMS_CA_KEY_FILE": str(pki.charger_ca.key_file),
    }
    with LiveServer(env, migrate=False, seed=False, tls_context=pki.context()) as server:
        yield server


@pytest.fixture(scope="package")
def ws_node(pki, tls_database_url, tls_db) -> Iterator[LiveServer]:
    env = {
        **NODE_ENV,
        "DATABASE_URL": tls_database_url,
        "TRUSTED_PROXIES": "127.0.0.1",
        "TLS_CLIENT_CA_FILE": str(pki.charger_ca.cert_file),
    }
    with LiveServer(env, migrate=False, seed=False) as server:
        yield server


class Api:
    """A logged-in admin REST client for one node."""

    def __init__(self, server: LiveServer, pki: Pki):
        self.base = server.base_url
        self.session = requests.Session()
        self.session.verify = str(pki.server_ca.cert_file)
        self.session.trust_env = False
        answer = self.session.post(
            f"{self.base}/api/token/",
            json={"username": ADMIN[0], "password": ADMIN[1]},
            timeout=10,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access']}"

    def post(self, path: str, body=None):
        return self.session.post(f"{self.base}{path}", json=body, timeout=60)

    def patch(self, path: str, body):
        return self.session.patch(f"{self.base}{path}", json=body, timeout=30)

    def get(self, path: str, **params):
        return self.session.get(f"{self.base}{path}", params=params, timeout=30)


@pytest.fixture(scope="package")
def wss_api(wss_node, pki) -> Api:
    return Api(wss_node, pki)


@pytest.fixture(scope="package")
def ws_api(ws_node, pki) -> Api:
    return Api(ws_node, pki)
